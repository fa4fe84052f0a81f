package report_test

import (
	"archive/zip"
	"bufio"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ispacct/ispacct/jobs/ingest"
	"github.com/ispacct/ispacct/jobs/report"
	"github.com/ispacct/ispacct/schema"
	"github.com/ispacct/ispacct/schema/pgtest"
)

// TestAllASCRoundTrip: http.asc and mail.asc, like proxy.asc, load back
// with the COPY of docs/DESIGN.md ("The .asc files") into rows equal to
// the table's, on data full of '|', quotes, backslashes, line breaks and
// non-ASCII.
func TestAllASCRoundTrip(t *testing.T) {
	db := setup(t)
	ctx := context.Background()
	// Syslog lines carry no year: it is taken from the file's time, which
	// is set here, not left to whenever the checkout was made.
	logs := t.TempDir()
	written := time.Date(2026, 11, 22, 12, 0, 0, 0, db.Loc)
	for _, src := range []ingest.Source{
		{Name: "web", Format: "apache-vhost", Files: []string{"../../fixtures/apache/vhost_combined.log"}},
		{Name: "web2", Format: "apache-combined", Files: []string{"../../fixtures/apache/combined.log"}, VHost: "www.kunde.example"},
		{Name: "mail", Format: "postfix", Files: []string{"../../fixtures/postfix/postfix.log"}},
		{Name: "mail2", Format: "sendmail", Files: []string{"../../fixtures/sendmail/maillog"}},
	} {
		b, err := os.ReadFile(src.Files[0])
		if err != nil {
			t.Fatal(err)
		}
		src.Files[0] = filepath.Join(logs, src.Name+".log")
		if err := os.WriteFile(src.Files[0], b, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(src.Files[0], written, written); err != nil {
			t.Fatal(err)
		}
		if _, err := ingest.Run(ctx, db.Pool, src, ingest.Options{Loc: db.Loc, Log: pgtest.Log()}); err != nil {
			t.Fatal(err)
		}
	}
	// Awkward values the fixtures may not have, put in directly.
	parts := schema.NewPartitions(db.Pool, db.Loc)
	when := time.Date(2026, 11, 21, 12, 0, 0, 123456000, db.Loc)
	for _, tb := range []string{"http", "mta"} {
		parts.Ensure(ctx, tb, when)
	}
	nasty := "a|b\\c\"d'e\nf\rg\tüñí€😀"
	if _, err := db.Pool.Exec(ctx, `INSERT INTO http (ip, url, zeit, size, datei, htuser) VALUES ('10.0.0.1', $1, $2, 7, $1, $1)`, nasty, when); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool.Exec(ctx, `INSERT INTO mta (msgid, m_to, m_from, m_mailer, m_size, m_remote_id, m_relay, m_status, zeit)
		VALUES ($1, $1, $1, $1, NULL, $1, $1, $1, $2)`, nasty, when); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var total [3]int64
	for _, day := range []string{"2026-11-01", "2026-11-21", "2026-11-22"} {
		d, _ := report.ParseDate(day, db.Loc)
		res, err := report.Build(ctx, db.Pool, report.Day(d, db.Loc), report.Options{Loc: db.Loc, OutDir: dir, Log: pgtest.Log()})
		if err != nil {
			t.Fatal(err)
		}
		for i, f := range []struct{ asc, table, cols string }{
			{"proxy.asc", "proxy", "lan_name text, ip_client inet, url text, zeit timestamptz, size bigint, status text, methode text"},
			{"http.asc", "http", "ip inet, url text, zeit timestamptz, size bigint, datei text, htuser text"},
			{"mail.asc", "mta", "msgid text, m_to text, m_from text, m_mailer text, m_size bigint, m_remote_id text, m_relay text, m_status text, zeit timestamptz"},
		} {
			back := "back_" + f.table + "_" + strings.ReplaceAll(day, "-", "")
			p := filepath.Join(dir, back+".asc")
			os.WriteFile(p, entry(t, res.Path, f.asc), 0o644)
			conn, _ := db.Pool.Acquire(ctx)
			conn.Exec(ctx, "CREATE TABLE "+back+" ("+f.cols+")")
			fh, _ := os.Open(p)
			_, err := conn.Conn().PgConn().CopyFrom(ctx, fh, "COPY "+back+" FROM STDIN (FORMAT text, DELIMITER '|', NULL '', HEADER true)")
			fh.Close()
			conn.Release()
			if err != nil {
				t.Fatalf("%s of %s does not load back: %v", f.asc, day, err)
			}
			cols := regexp.MustCompile(` [a-z]+(, |$)`).ReplaceAllString(f.cols, "$1")
			lo, hi := d, report.Day(d, db.Loc).End
			orig := "SELECT " + cols + " FROM " + f.table + " WHERE zeit >= '" + lo.Format(time.RFC3339) + "' AND zeit < '" + hi.Format(time.RFC3339) + "'"
			var diff, n int64
			db.Pool.QueryRow(ctx, "SELECT count(*) FROM (("+orig+" EXCEPT ALL SELECT * FROM "+back+") UNION ALL (SELECT * FROM "+back+" EXCEPT ALL "+orig+")) d").Scan(&diff)
			db.Pool.QueryRow(ctx, "SELECT count(*) FROM "+back).Scan(&n)
			if diff != 0 {
				rows, _ := db.Pool.Query(ctx, "("+orig+" EXCEPT ALL SELECT * FROM "+back+") UNION ALL (SELECT * FROM "+back+" EXCEPT ALL "+orig+")")
				for rows.Next() {
					v, _ := rows.Values()
					t.Logf("differs: %q", v)
				}
				rows.Close()
			}
			if diff != 0 || n != res.Rows[f.asc] {
				t.Errorf("%s of %s: %d rows differ after the round trip (%d loaded, %d written)", f.asc, day, diff, n, res.Rows[f.asc])
			}
			total[i] += n
		}
	}
	if total[1] < 10 || total[2] < 10 {
		t.Fatalf("too few rows to mean much: %v", total)
	}
	t.Logf("round trip: %d proxy, %d http, %d mail rows", total[0], total[1], total[2])
}

// TestRawSheetsSplit: a day of 2,500,000 proxy rows gives raw sheets
// proxy, proxy (2) and proxy (3) whose rows add up to 2,500,000.
func TestRawSheetsSplit(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a workbook of 2.5 million rows")
	}
	db := setup(t)
	ctx := context.Background()
	day, _ := report.ParseDate("2026-11-21", db.Loc)
	if err := schema.NewPartitions(db.Pool, db.Loc).Ensure(ctx, "proxy", day); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	_, err := db.Pool.Exec(ctx, `INSERT INTO proxy (lan_name, ip_client, url, zeit, size, status, methode)
		SELECT 'lan' || (i % 7), ('10.0.' || (i % 200) || '.' || (i % 250))::inet, 'http://h' || (i % 1000) || '.example/',
		       $1::timestamptz + make_interval(secs => i * 0.03), i % 5000, 'TCP_MISS/200', 'GET'
		FROM generate_series(1, 2500000) i`, day)
	if err != nil {
		t.Fatal(err)
	}
	res, err := report.Build(ctx, db.Pool, report.Day(day, db.Loc), report.Options{Loc: db.Loc, OutDir: t.TempDir(), RawSheets: true, Log: pgtest.Log()})
	if err != nil {
		t.Fatal(err)
	}
	rows := sheetRows(t, res.Path, report.WorkbookName(report.Day(day, db.Loc)))
	want := map[string]int64{"proxy": 1048575, "proxy (2)": 1048575, "proxy (3)": 2500000 - 2*1048575}
	for s, n := range want {
		if rows[s] != n {
			t.Errorf("sheet %q has %d data rows, want %d (all: %v)", s, rows[s], n, rows)
		}
	}
	t.Logf("2,500,000 rows into 3 sheets in %v, archive %d MiB", time.Since(t0).Round(time.Second), res.Bytes>>20)
}

// sheetRows counts each sheet's data rows by streaming the sheet XML of
// the workbook inside an archive (the workbook is too large to load).
func sheetRows(t *testing.T, archive, name string) map[string]int64 {
	t.Helper()
	xlsx := filepath.Join(t.TempDir(), "b.xlsx")
	if err := os.WriteFile(xlsx, entry(t, archive, name), 0o644); err != nil {
		t.Fatal(err)
	}
	xr, err := zip.OpenReader(xlsx)
	if err != nil {
		t.Fatal(err)
	}
	defer xr.Close()
	// Sheet names, in order, from the workbook part.
	var names []string
	for _, f := range xr.File {
		if f.Name == "xl/workbook.xml" {
			rc, _ := f.Open()
			b, _ := io.ReadAll(rc)
			rc.Close()
			for _, m := range regexp.MustCompile(`<sheet name="([^"]*)"`).FindAllStringSubmatch(string(b), -1) {
				names = append(names, strings.ReplaceAll(m[1], "&#34;", `"`))
			}
		}
	}
	rows := map[string]int64{}
	for _, f := range xr.File {
		var i int
		if _, err := fmtSscan(f.Name, &i); err != nil {
			continue
		}
		rc, _ := f.Open()
		sc := bufio.NewScanner(rc)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		sc.Split(scanRows)
		var n int64
		for sc.Scan() {
			n++
		}
		rc.Close()
		rows[names[i-1]] = n - 1 // the header
	}
	return rows
}

func fmtSscan(name string, i *int) (int, error) {
	s, ok := strings.CutPrefix(name, "xl/worksheets/sheet")
	if !ok {
		return 0, io.EOF
	}
	n, err := strconv.Atoi(strings.TrimSuffix(s, ".xml"))
	*i = n
	return 1, err
}

// scanRows splits sheet XML at each "<row " start tag.
func scanRows(data []byte, atEOF bool) (int, []byte, error) {
	const tag = "<row "
	if i := strings.Index(string(data), tag); i >= 0 {
		return i + len(tag), data[i : i+len(tag)], nil
	}
	if atEOF {
		return len(data), nil, nil
	}
	if len(data) > len(tag) {
		return len(data) - len(tag), nil, nil
	}
	return 0, nil, nil
}
