package ingest_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ispacct/ispacct/jobs/ingest"
	"github.com/ispacct/ispacct/jobs/landefs"
	"github.com/ispacct/ispacct/schema/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func loadLANs(t *testing.T, db *pgtest.DB) {
	t.Helper()
	if _, _, err := landefs.ImportFile(context.Background(), db.Pool, "../../fixtures/landefs.txt", false); err != nil {
		t.Fatal(err)
	}
}

func run(t *testing.T, db *pgtest.DB, files ...string) *ingest.Result {
	t.Helper()
	res, err := ingest.Run(context.Background(), db.Pool, ingest.Source{Name: "squid", Format: "squid", Files: files},
		ingest.Options{Loc: db.Loc, Log: pgtest.Log()})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestIngestSampleOnce(t *testing.T) {
	db := pgtest.New(t)
	loadLANs(t, db)
	res := run(t, db, "../../fixtures/squid/access.log")
	if res.Rows != 15 || res.Rejects != 0 || res.Lines != 15 || res.Files != 1 {
		t.Fatalf("first run: %+v", res)
	}
	if fmt.Sprint(res.Days) != "[2026-11-20 2026-11-21]" {
		t.Errorf("days %v, want the two local days of the sample", res.Days)
	}
	again := run(t, db, "../../fixtures/squid/access.log")
	if again.Rows != 0 || again.Lines != 0 || again.Unchanged != 1 {
		t.Fatalf("second run loaded again: %+v", again)
	}
	if n := pgtest.Count(t, db.Pool, `SELECT count(*) FROM proxy`); n != 15 {
		t.Fatalf("proxy has %d rows, want 15", n)
	}
	// Longest prefix wins; clients in no LAN are kept with lan_name NULL.
	for ip, want := range map[string]string{
		"10.4.24.77": "mueller", "10.0.5.20": "weber", "10.0.5.200": "weber-lab",
		"192.168.77.5": "", "2001:db8::42": "",
	} {
		var lan *string
		err := db.Pool.QueryRow(context.Background(), `SELECT lan_name FROM proxy WHERE ip_client = $1::inet LIMIT 1`, ip).Scan(&lan)
		if err != nil {
			t.Fatalf("%s: %v", ip, err)
		}
		got := ""
		if lan != nil {
			got = *lan
		}
		if got != want {
			t.Errorf("%s: lan_name %q, want %q", ip, got, want)
		}
	}
	// Rows land in the partition of their local day.
	// The sample starts at 23:59 Berlin time: 2 rows on the 20th, 13 on the 21st.
	if n := pgtest.Count(t, db.Pool, `SELECT count(*) FROM proxy_p20261120`); n != 2 {
		t.Errorf("2026-11-20 partition has %d rows, want 2", n)
	}
	if n := pgtest.Count(t, db.Pool, `SELECT count(*) FROM proxy_p20261121`); n != 13 {
		t.Errorf("2026-11-21 partition has %d rows, want 13", n)
	}
}

const (
	line1 = "1795215541.000 1 10.4.24.77 TCP_MISS/200 100 GET http://a.example/ - HIER_DIRECT/1.2.3.4 text/html\n"
	line2 = "1795215542.000 1 10.4.24.77 TCP_MISS/200 200 GET http://b.example/ - HIER_DIRECT/1.2.3.4 text/html\n"
	line3 = "1795215543.000 1 10.4.24.77 TCP_MISS/200 300 GET http://c.example/ - HIER_DIRECT/1.2.3.4 text/html\n"
	line4 = "1795215544.000 1 10.4.24.77 TCP_MISS/200 400 GET http://d.example/ - HIER_DIRECT/1.2.3.4 text/html\n"
)

func appendFile(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
}

// TestIngestGrowingFile: a file that grew loads only its new complete
// lines, and an unfinished last line waits for the next run.
func TestIngestGrowingFile(t *testing.T) {
	db := pgtest.New(t)
	path := filepath.Join(t.TempDir(), "access.log")
	appendFile(t, path, line1+line2+line3[:40])
	if res := run(t, db, path); res.Rows != 2 {
		t.Fatalf("first run loaded %d rows, want 2 (the half line waits)", res.Rows)
	}
	appendFile(t, path, line3[40:]+line4)
	if res := run(t, db, path); res.Rows != 2 || res.Rejects != 0 {
		t.Fatalf("second run: %+v, want exactly the 2 new lines", res)
	}
	if n := pgtest.Count(t, db.Pool, `SELECT count(*) FROM proxy`); n != 4 {
		t.Fatalf("%d rows, want 4", n)
	}
	if n := pgtest.Count(t, db.Pool, `SELECT sum(size) FROM proxy`); n != 1000 {
		t.Fatalf("sizes add to %d, want 1000: a line was loaded twice or lost", n)
	}
	if n := pgtest.Count(t, db.Pool, `SELECT count(DISTINCT src_line) FROM proxy`); n != 4 {
		t.Fatalf("src_line not distinct: %d", n)
	}
}

// TestIngestRotation: access.log renamed to access.log.1 and later
// compressed to access.log.2.gz is the same file and is not read again;
// what it gained before the rename is read on from where it stopped.
func TestIngestRotation(t *testing.T) {
	db := pgtest.New(t)
	dir := t.TempDir()
	live := filepath.Join(dir, "access.log")
	appendFile(t, live, line1)
	run(t, db, live)
	appendFile(t, live, line2) // written after the first run, before rotation
	if err := os.Rename(live, live+".1"); err != nil {
		t.Fatal(err)
	}
	appendFile(t, live, line3)
	files, err := ingest.Expand([]string{live + "*"})
	if err != nil {
		t.Fatal(err)
	}
	if res := run(t, db, files...); res.Rows != 2 {
		t.Fatalf("after rename: %+v, want line2 and line3", res)
	}
	// Compress the rotated file, as logrotate's delaycompress does next time.
	gzipFile(t, live+".1", live+".2.gz")
	appendFile(t, live, line4)
	files, _ = ingest.Expand([]string{live + "*"})
	if filepath.Base(files[0]) != "access.log.2.gz" {
		t.Fatalf("order %v: oldest first", files)
	}
	if res := run(t, db, files...); res.Rows != 1 {
		t.Fatalf("after compress: %+v, want only line4", res)
	}
	if n := pgtest.Count(t, db.Pool, `SELECT count(*) FROM proxy`); n != 4 {
		t.Fatalf("%d rows, want 4", n)
	}
}

func gzipFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(data)
	zw.Close()
	if err := os.WriteFile(to, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Remove(from)
}

// TestIngestRejects: malformed lines become counted rejects with file,
// line, reason and raw bytes; the good lines load.
func TestIngestRejects(t *testing.T) {
	db := pgtest.New(t)
	path := filepath.Join(t.TempDir(), "access.log")
	appendFile(t, path, line1+"garbage \xff\x00 line\n"+line2+"1795215545.000 1 10.0.0.1 TCP_MISS/200\n")
	res := run(t, db, path)
	if res.Rows != 2 || res.Rejects != 2 || res.Reasons["bad timestamp"] != 1 || res.Reasons["missing fields"] != 1 {
		t.Fatalf("result %+v", res)
	}
	from, to := time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	all, err := ingest.Rejects(context.Background(), db.Pool, from, to, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 {
		t.Fatalf("Rejects(limit 0) = %d rejects, want 2: %+v", len(all), all)
	}
	if r := all[0]; r.Path != path || r.Source != "squid" || r.Line != 2 || r.Offset != int64(len(line1)) ||
		r.Reason != "bad timestamp" || r.Raw != "garbage \xff\x00 line" {
		t.Fatalf("first reject %+v", r)
	}
	if all[1].Line != 4 || all[1].Reason != "missing fields" {
		t.Fatalf("second reject %+v", all[1])
	}
	if one, err := ingest.Rejects(context.Background(), db.Pool, from, to, 1); err != nil || len(one) != 1 || one[0].Line != 2 {
		t.Fatalf("Rejects(limit 1) = %+v, %v", one, err)
	}
	if none, err := ingest.Rejects(context.Background(), db.Pool, to, to.Add(time.Hour), 0); err != nil || none != nil {
		t.Fatalf("Rejects of a later hour = %+v, %v; want nil", none, err)
	}
}

// TestIngestClockErrors: rows far outside the expected window are
// rejected with a reason, not loaded.
func TestIngestClockErrors(t *testing.T) {
	db := pgtest.New(t)
	path := filepath.Join(t.TempDir(), "access.log")
	appendFile(t, path, line1+"0.000 1 10.4.24.77 TCP_MISS/200 1 GET http://epoch.example/ - HIER_NONE/- -\n")
	res, err := ingest.Run(context.Background(), db.Pool, ingest.Source{Name: "s", Format: "squid", Files: []string{path}},
		ingest.Options{Loc: db.Loc, Log: pgtest.Log(), NotBefore: time.Date(2026, 1, 1, 0, 0, 0, 0, db.Loc)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows != 1 || res.Rejects != 1 || res.Reasons["timestamp before 2026-01-01"] != 1 {
		t.Fatalf("result %+v", res)
	}
}

// TestIngestUnreadableFile: a file that cannot be read is named and
// skipped; the others load.
func TestIngestUnreadableFile(t *testing.T) {
	db := pgtest.New(t)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.log")
	appendFile(t, good, line1)
	trunc := filepath.Join(dir, "trunc.log.gz")
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(line2 + line3 + line4))
	zw.Close()
	os.WriteFile(trunc, buf.Bytes()[:buf.Len()-12], 0o644) // cut the gzip trailer and some data
	res := run(t, db, filepath.Join(dir, "missing.log"), trunc, good)
	if len(res.FileErrors) != 2 || res.FileErrors[0].Path != filepath.Join(dir, "missing.log") || res.FileErrors[1].Path != trunc {
		t.Fatalf("file errors %+v", res.FileErrors)
	}
	if n := pgtest.Count(t, db.Pool, `SELECT count(*) FROM proxy WHERE url = 'http://a.example/'`); n != 1 {
		t.Fatal("the good file was not loaded")
	}
}
