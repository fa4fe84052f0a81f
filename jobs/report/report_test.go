package report_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ispacct/ispacct/archive"
	"github.com/ispacct/ispacct/jobs/ingest"
	"github.com/ispacct/ispacct/jobs/landefs"
	"github.com/ispacct/ispacct/jobs/report"
	"github.com/ispacct/ispacct/parsers"
	"github.com/ispacct/ispacct/schema"
	"github.com/ispacct/ispacct/schema/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func setup(t *testing.T, logs ...string) *pgtest.DB {
	t.Helper()
	db := pgtest.New(t)
	if _, _, err := landefs.ImportFile(context.Background(), db.Pool, "../../fixtures/landefs.txt", false); err != nil {
		t.Fatal(err)
	}
	_, err := ingest.Run(context.Background(), db.Pool, ingest.Source{Name: "squid", Format: "squid", Files: logs},
		ingest.Options{Loc: db.Loc, Log: pgtest.Log()})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func build(t *testing.T, db *pgtest.DB, day string, out string) *report.Result {
	t.Helper()
	d, err := report.ParseDate(day, db.Loc)
	if err != nil {
		t.Fatal(err)
	}
	res, err := report.Build(context.Background(), db.Pool, report.Day(d, db.Loc), report.Options{Loc: db.Loc, OutDir: out, Log: pgtest.Log()})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func entry(t *testing.T, path, name string) []byte {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		if f.Name == name {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			b, err := io.ReadAll(rc)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
	t.Fatalf("%s has no %s", path, name)
	return nil
}

// TestArchiveReproducible: two builds over the same data give the same
// bytes, and the zip entries carry the period's time, not the clock.
func TestArchiveReproducible(t *testing.T) {
	db := setup(t, "../../fixtures/squid/access.log")
	a := build(t, db, "2026-11-21", t.TempDir())
	time.Sleep(1100 * time.Millisecond) // a wall-clock stamp would now differ
	b := build(t, db, "2026-11-21", t.TempDir())
	if a.SHA256 != b.SHA256 {
		t.Fatalf("two builds differ: %s vs %s", a.SHA256, b.SHA256)
	}
	if a.Rows["proxy.asc"] != 13 {
		t.Fatalf("proxy rows %d, want 13", a.Rows["proxy.asc"])
	}
	zr, _ := zip.OpenReader(a.Path)
	defer zr.Close()
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		if want := time.Date(2026, 11, 21, 0, 0, 0, 0, db.Loc); !f.Modified.Equal(want) {
			t.Errorf("%s stamped %v, want %v", f.Name, f.Modified, want)
		}
	}
	if strings.Join(names, ",") != "proxy.asc,http.asc,mail.asc,acct-2026-11-21.xlsx" {
		t.Errorf("entries %v", names)
	}
}

// TestASCMatchesGoWriter: the archive's proxy.asc, written by PostgreSQL,
// is byte for byte what the Go writer (used by `ispacct parse`) writes for
// the same parsed lines in the same order.
func TestASCMatchesGoWriter(t *testing.T) {
	db := setup(t, "../../fixtures/squid/access.log")
	out := t.TempDir()
	var fromDB []byte
	for _, day := range []string{"2026-11-20", "2026-11-21"} {
		asc := entry(t, build(t, db, day, out).Path, "proxy.asc")
		if fromDB != nil {
			asc = asc[len(archive.ProxyHeader)+1:]
		}
		fromDB = append(fromDB, asc...)
	}
	lans, err := ingest.LoadLANs(context.Background(), db.Pool)
	if err != nil {
		t.Fatal(err)
	}
	var goOut bytes.Buffer
	w, _ := archive.NewASC(&goOut, db.Loc, archive.ProxyHeader)
	f, _ := os.Open("../../fixtures/squid/access.log")
	defer f.Close()
	lr := parsers.NewLineReader(f, 0, 0)
	var p parsers.Squid
	var rec parsers.Proxy
	for {
		line, err := lr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err := p.Parse(line, &rec); err != nil {
			t.Fatal(err)
		}
		lan, _ := lans.Lookup(rec.Client)
		if err := w.Proxy(lan, &rec); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	// The sample is in time order with distinct times, so both orders agree.
	if !bytes.Equal(fromDB, goOut.Bytes()) {
		t.Fatalf("PostgreSQL and Go .asc differ:\n--- db\n%s--- go\n%s", fromDB, goOut.Bytes())
	}
}

// TestASCRoundTrip: a log whose URLs hold '|', backslash, CR-like escapes,
// invalid UTF-8 and a NUL byte loses nothing: proxy.asc has exactly 7
// fields a line and loads back with the COPY of docs/DESIGN.md ("The .asc
// files") into rows equal to proxy's.
func TestASCRoundTrip(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "access.log")
	lines := []string{
		"1795219200.001 1 10.4.24.77 TCP_MISS/200 1 GET http://x.example/a|b|c - HIER_NONE/- -",
		"1795219200.002 1 10.4.24.77 TCP_MISS/200 2 GET http://x.example/back\\slash\\n - HIER_NONE/- -",
		"1795219200.003 1 10.4.24.77 TCP_MISS/200 3 GET http://x.example/caf\xe9\xff - HIER_NONE/- -",
		"1795219200.004 1 10.4.24.77 TCP_MISS/200 4 GET http://x.example/nul\x00byte - HIER_NONE/- -",
		"1795219200.005 1 10.4.24.77 TCP_MISS/200 5 GET http://x.example/\"quoted\"'s;,\t - HIER_NONE/- -",
		"1795219200.006 1 192.0.2.1 TCP_MISS/200 6 GET http://x.example/=HYPERLINK(\"x\")|ünïcödé - HIER_NONE/- -",
		"1795219200.007 1 10.4.24.77 TCP_MISS/200 7 GET http://x.example/" + strings.Repeat("long", 2048) + " - HIER_NONE/- -",
	}
	os.WriteFile(log, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
	db := setup(t, log)
	res := build(t, db, "2026-11-21", dir)
	if res.Rows["proxy.asc"] != int64(len(lines)) {
		t.Fatalf("proxy.asc has %d rows, want %d: lines were lost", res.Rows["proxy.asc"], len(lines))
	}
	asc := entry(t, res.Path, "proxy.asc")
	ascLines := strings.Split(strings.TrimSuffix(string(asc), "\n"), "\n")
	if len(ascLines) != len(lines)+1 || ascLines[0] != archive.ProxyHeader {
		t.Fatalf("proxy.asc has %d lines, header %q", len(ascLines), ascLines[0])
	}
	for _, l := range ascLines {
		if n := countFields(l); n != 7 {
			t.Errorf("%d fields in %q", n, l)
		}
	}
	// Load it back with the COPY command docs/DESIGN.md gives.
	ascPath := filepath.Join(dir, "proxy.asc")
	os.WriteFile(ascPath, asc, 0o644)
	ctx := context.Background()
	conn, _ := db.Pool.Acquire(ctx)
	defer conn.Release()
	if _, err := conn.Exec(ctx, `CREATE TEMP TABLE back (lan_name text, ip_client inet, url text, zeit timestamptz, size bigint, status text, methode text)`); err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(ascPath)
	defer f.Close()
	if _, err := conn.Conn().PgConn().CopyFrom(ctx, f, `COPY back FROM STDIN (FORMAT text, DELIMITER '|', NULL '', HEADER true)`); err != nil {
		t.Fatal(err)
	}
	var diff int
	err := conn.QueryRow(ctx, `SELECT count(*) FROM (
		(SELECT lan_name, ip_client, url, zeit, size, status, methode FROM proxy EXCEPT ALL SELECT * FROM back)
		UNION ALL
		(SELECT * FROM back EXCEPT ALL SELECT lan_name, ip_client, url, zeit, size, status, methode FROM proxy)) d`).Scan(&diff)
	if err != nil || diff != 0 {
		t.Fatalf("round trip differs in %d rows (err %v)", diff, err)
	}
}

// countFields counts '|'-separated fields, skipping backslash escapes.
func countFields(l string) int {
	n := 1
	for i := 0; i < len(l); i++ {
		switch l[i] {
		case '\\':
			i++
		case '|':
			n++
		}
	}
	return n
}

func TestPeriods(t *testing.T) {
	loc := pgtest.Berlin
	d := func(s string) time.Time { t0, _ := report.ParseDate(s, loc); return t0 }
	ps, err := report.Periods("day", d("2026-10-24"), d("2026-10-26"), loc)
	if err != nil || len(ps) != 3 || ps[1].End.Sub(ps[1].Start) != 25*time.Hour {
		t.Fatalf("days %v err %v (2026-10-25 must have 25 hours)", ps, err)
	}
	ms, err := report.Periods("month", d("2026-11-30"), d("2027-01-01"), loc)
	if err != nil || len(ms) != 3 || ms[0].Name() != "2026-11" || ms[2].Name() != "2027-01" {
		t.Fatalf("months %v err %v", ms, err)
	}
	if _, err := report.Periods("day", d("2026-11-02"), d("2026-11-01"), loc); err == nil || !strings.Contains(err.Error(), "after --to") {
		t.Fatalf("from after to: %v", err)
	}
	if _, err := report.ParseDate("2026-13-01", loc); err == nil || !strings.Contains(err.Error(), "2026-13-01") {
		t.Fatalf("bad month: %v", err)
	}
}

// TestBuildOnOneConnection: with no connection to spare for the workbook
// (a pool of one, held by the build), the archive is built one part after
// the other, to the same bytes, instead of waiting for ever.
func TestBuildOnOneConnection(t *testing.T) {
	db := setup(t, "../../fixtures/squid/access.log")
	one, err := schema.Open(context.Background(), db.ConnString+" pool_max_conns=1", db.Loc, pgtest.Log())
	if err != nil {
		t.Fatal(err)
	}
	defer one.Close()
	d, _ := report.ParseDate("2026-11-21", db.Loc)
	res, err := report.Build(context.Background(), one, report.Day(d, db.Loc), report.Options{Loc: db.Loc, OutDir: t.TempDir(), RawSheets: true, Log: pgtest.Log()})
	if err != nil {
		t.Fatal(err)
	}
	withRaw := report.Options{Loc: db.Loc, OutDir: t.TempDir(), RawSheets: true, Log: pgtest.Log()}
	both, err := report.Build(context.Background(), db.Pool, report.Day(d, db.Loc), withRaw)
	if err != nil {
		t.Fatal(err)
	}
	if res.SHA256 != both.SHA256 {
		t.Fatalf("one connection: sha256 %s, two: %s", res.SHA256, both.SHA256)
	}
}
