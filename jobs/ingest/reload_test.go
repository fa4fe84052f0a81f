package ingest_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ispacct/ispacct/jobs/ingest"
	"github.com/ispacct/ispacct/jobs/rollup"
	"github.com/ispacct/ispacct/parsers"
	"github.com/ispacct/ispacct/schema"
	"github.com/ispacct/ispacct/schema/pgtest"
)

// copyFixture copies a fixture into the test's own folder.
func copyFixture(t *testing.T, from string) string {
	t.Helper()
	to := filepath.Join(t.TempDir(), filepath.Base(from))
	copyFile(t, from, to, time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC))
	return to
}

// detect names the Squid format that parses most of lines: what
// Options.Detect is for, done the plain way for proxy logs.
func detect(lines [][]byte) (string, bool) {
	best, most := "", 0
	for _, f := range parsers.Formats {
		if f.Table != parsers.TableProxy {
			continue
		}
		n := 0
		for _, l := range lines {
			if f.NewProxy().Parse(l, &parsers.Proxy{}) == nil {
				n++
			}
		}
		if n > most {
			best, most = f.Name, n
		}
	}
	return best, most > len(lines)/2
}

// TestWrongFormatHeld: a Squid common log named as native squid rejects
// every one of its first lines; it is held, not recorded as read (no
// rows, no rejects, offset 0), the run is partly done naming the format
// that reads it, and that format then loads it whole.
func TestWrongFormatHeld(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	path := copyFixture(t, "../../fixtures/squid-common/access.log")
	opt := ingest.Options{Loc: db.Loc, Log: pgtest.Log(), Detect: detect}
	src := ingest.Source{Name: "squid", Format: "squid", Files: []string{path}}
	res, err := ingest.Run(ctx, db.Pool, src, opt)
	if err != nil {
		t.Fatal(err)
	}
	left := strings.Join(ingest.LeftOut(src, res, 0.01), "; ")
	if res.Rows != 0 || res.Rejects != 0 || res.Lines != 0 || len(res.Held) != 1 ||
		!strings.Contains(left, "none of its first 20 lines parses as squid") ||
		!strings.Contains(left, "they parse as squid-common: 'ispacct ingest --format squid-common "+path+"' loads it") {
		t.Fatalf("%+v\nleft out: %s", res, left)
	}
	if n := pgtest.Count(t, db.Pool, `SELECT count(*) FROM ingest_files WHERE byte_offset > 0 OR rows > 0 OR rejects > 0`); n != 0 {
		t.Fatalf("the held file was recorded as read")
	}
	src.Format = "squid-common"
	res, err = ingest.Run(ctx, db.Pool, src, opt)
	if err != nil || res.Files != 1 || res.Unchanged != 0 || res.Lines != 23 || res.Rows+res.Rejects+res.Blank != 23 || res.Rows == 0 {
		t.Fatalf("the right format after the held run: %v %+v", err, res)
	}
	if f := pgtest.Count(t, db.Pool, `SELECT count(*) FROM ingest_files WHERE format = 'squid-common' AND source = 'squid' AND lines = 23`); f != 1 {
		t.Fatalf("ledger entry not taken over by the format that read the file")
	}
}

// TestReload: a Squid common log loaded as Apache common (whose parser
// takes its lines) is reloaded as squid-common: in one go its http rows
// go, its proxy rows come, the days of both are left for rollup and the
// result says rows before and after. Reloading again gives the same; a
// reload in a format that does not parse the file changes nothing.
func TestReload(t *testing.T) {
	db := pgtest.New(t)
	loadLANs(t, db)
	ctx := context.Background()
	path := copyFixture(t, "../../fixtures/squid-common/access.log")
	opt := ingest.Options{Loc: db.Loc, Log: pgtest.Log()}
	wrong, err := ingest.Run(ctx, db.Pool, ingest.Source{Name: "web", Format: "apache-common", VHost: "x.example", Files: []string{path}}, opt)
	if err != nil || wrong.Rows == 0 {
		t.Fatalf("%v %+v", err, wrong)
	}
	roll := func() {
		t.Helper()
		if _, err := rollup.Run(ctx, db.Pool, time.Time{}, time.Time{}, rollup.Options{Loc: db.Loc, Log: pgtest.Log()}); err != nil {
			t.Fatal(err)
		}
	}
	roll()
	if n := pgtest.Count(t, db.Pool, `SELECT count(*) FROM agg_http_vhost WHERE vhost = 'x.example'`); n == 0 {
		t.Fatal("no http aggregates from the wrong load")
	}

	src := ingest.Source{Name: "squid-common", Format: "squid-common", Files: []string{path}}
	r, err := ingest.Reload(ctx, db.Pool, src, opt)
	if err != nil {
		t.Fatal(err)
	}
	proxy := pgtest.Count(t, db.Pool, `SELECT count(*) FROM proxy`)
	if r.RowsBefore != wrong.Rows || r.RejectsBefore != wrong.Rejects || r.RowsAfter != proxy || proxy == 0 ||
		len(r.Files) != 1 || r.Files[0].RowsBefore != wrong.Rows || r.Files[0].RowsAfter != proxy {
		t.Fatalf("reload: %+v (before: %d rows, %d rejects; proxy now %d)", r, wrong.Rows, wrong.Rejects, proxy)
	}
	if n := pgtest.Count(t, db.Pool, `SELECT count(*) FROM http`); n != 0 {
		t.Fatalf("%d http rows of the file stayed", n)
	}
	if n := pgtest.Count(t, db.Pool, `SELECT count(*) FROM ingest_files`); n != 1 {
		t.Fatalf("%d ledger entries, want the new one only", n)
	}
	if n := pgtest.Count(t, db.Pool, `SELECT count(*) FROM ingest_days WHERE dirty AND tbl IN ('http', 'proxy')`); n < 2 {
		t.Fatalf("days of the old and new rows not marked for rollup: %d", n)
	}
	if s := r.Summary(); !strings.Contains(s, fmt.Sprintf("rows %d → %d, rejects %d → %d", wrong.Rows, proxy, wrong.Rejects, r.RejectsAfter)) {
		t.Fatalf("summary: %s", s)
	}
	roll()
	if n := pgtest.Count(t, db.Pool, `SELECT count(*) FROM agg_http_vhost`); n != 0 {
		t.Fatalf("http aggregates of the removed rows stayed: %d", n)
	}
	if n := pgtest.Count(t, db.Pool, `SELECT sum(requests) FROM agg_proxy_lan`); n != proxy {
		t.Fatalf("proxy aggregates count %d requests, want %d", n, proxy)
	}

	again, err := ingest.Reload(ctx, db.Pool, src, opt)
	if err != nil || again.RowsBefore != proxy || again.RowsAfter != proxy || pgtest.Count(t, db.Pool, `SELECT count(*) FROM proxy`) != proxy {
		t.Fatalf("reload twice: %v %+v", err, again)
	}
	_, err = ingest.Reload(ctx, db.Pool, ingest.Source{Name: "squid", Format: "squid", Files: []string{path}}, opt)
	if err == nil || !strings.Contains(err.Error(), "nothing changed") || pgtest.Count(t, db.Pool, `SELECT count(*) FROM proxy`) != proxy {
		t.Fatalf("a reload in a format that reads none of the lines: %v, %d rows", err, pgtest.Count(t, db.Pool, `SELECT count(*) FROM proxy`))
	}
}

// squidLines writes lines n0 … n0+n-1 of a Squid log, each of its own
// size so that every row can be told apart.
func squidLines(n0, n int) []byte {
	var b bytes.Buffer
	for i := n0; i < n0+n; i++ {
		fmt.Fprintf(&b, "%d.000 5 10.4.24.%d TCP_MISS/200 %d GET http://x.example/%d - HIER_NONE/- text/html\n", 1795215541+i, 2+i%250, 1000+i, i)
	}
	return b.Bytes()
}

// TestShrunkFileHeld: a log cut to its first 100 lines after 200 were
// loaded, then grown by 300, is held (the run is partly done, naming the
// file and the command that reloads it) instead of being read on from
// the middle of a line; the reload replaces the 200 rows by the 400
// lines it now holds, and the file is read on normally after.
func TestShrunkFileHeld(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "access.log")
	if err := os.WriteFile(path, squidLines(0, 200), 0o644); err != nil {
		t.Fatal(err)
	}
	if res := run(t, db, path); res.Rows != 200 {
		t.Fatalf("%+v", res)
	}
	cut := append(squidLines(0, 100), squidLines(1000, 300)...)
	if err := os.WriteFile(path, cut, 0o644); err != nil {
		t.Fatal(err)
	}
	src := ingest.Source{Name: "squid", Format: "squid", Files: []string{path}}
	res := run(t, db, path)
	left := strings.Join(ingest.LeftOut(src, res, 0.01), "; ")
	if res.Rows != 0 || res.Rejects != 0 || len(res.Held) != 1 ||
		!strings.Contains(left, path+" changed since it was read") ||
		!strings.Contains(left, "'ispacct ingest --reload --format squid "+path+"'") {
		t.Fatalf("%+v\nleft out: %s", res, left)
	}
	if n := pgtest.Count(t, db.Pool, `SELECT count(*) FROM proxy`); n != 200 {
		t.Fatalf("%d rows, want the 200 loaded before", n)
	}
	// Cut shorter than what was read: held too.
	if err := os.WriteFile(path, squidLines(0, 150), 0o644); err != nil {
		t.Fatal(err)
	}
	if res := run(t, db, path); len(res.Held) != 1 || !strings.Contains(res.Held[0].Reason, "bytes long") {
		t.Fatalf("a shorter file: %+v", res)
	}
	if err := os.WriteFile(path, cut, 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := ingest.Reload(ctx, db.Pool, src, ingest.Options{Loc: db.Loc, Log: pgtest.Log()})
	if err != nil || r.RowsBefore != 200 || r.RowsAfter != 400 {
		t.Fatalf("reload: %v %+v", err, r)
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write(squidLines(2000, 10))
	f.Close()
	if res := run(t, db, path); res.Rows != 10 || len(res.Held) != 0 {
		t.Fatalf("reading on after the reload: %+v", res)
	}
	if n, d := pgtest.Count(t, db.Pool, `SELECT count(*) FROM proxy`), pgtest.Count(t, db.Pool, `SELECT count(DISTINCT size) FROM proxy`); n != 410 || d != 410 {
		t.Fatalf("%d rows (%d distinct), want 410", n, d)
	}
}

// TestReloadRepairsRowsWithoutVHost: a database where a per-vhost log was
// loaded without its vhost (as ispacct once allowed: rows with a NULL
// url, on which every rollup fails) is repaired by reloading the file
// with --vhost: the old rows go, the new ones carry the vhost, and
// rollup runs again.
func TestReloadRepairsRowsWithoutVHost(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	path := copyFixture(t, "../../fixtures/apache/combined.log")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	first := sha256.Sum256(b[:bytes.IndexByte(b, '\n')+1])
	day := time.Date(2026, 11, 21, 13, 45, 12, 0, db.Loc)
	if err := schema.NewPartitions(db.Pool, db.Loc).Ensure(ctx, "http", day); err != nil {
		t.Fatal(err)
	}
	var id int64
	err = db.Pool.QueryRow(ctx, `INSERT INTO ingest_files (tbl, fingerprint, source, format, path, byte_offset, lines, rows)
		VALUES ('http', $1, 'apache-combined', 'apache-combined', $2, $3, 2, 2) RETURNING id`, first[:], path, len(b)).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool.Exec(ctx, `INSERT INTO http (ip, url, zeit, size, src_file, src_line)
		VALUES ('10.4.24.77', NULL, $1, 5120, $2, 1), ('10.4.24.77', NULL, $1, 800, $2, 2)`, day, id); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool.Exec(ctx, `INSERT INTO ingest_days (tbl, day) VALUES ('http', '2026-11-21')`); err != nil {
		t.Fatal(err)
	}
	roll := func() error {
		_, err := rollup.Run(ctx, db.Pool, time.Time{}, time.Time{}, rollup.Options{Loc: db.Loc, Log: pgtest.Log()})
		return err
	}
	if err := roll(); err == nil || !strings.Contains(err.Error(), "vhost") {
		t.Fatalf("rollup over rows without a vhost: %v (the state this test repairs)", err)
	}
	r, err := ingest.Reload(ctx, db.Pool, ingest.Source{Name: "custa", Format: "apache-combined", VHost: "custa.example", Files: []string{path}},
		ingest.Options{Loc: db.Loc, Log: pgtest.Log()})
	if err != nil || r.RowsBefore != 2 || r.RowsAfter == 0 {
		t.Fatalf("reload: %v %+v", err, r)
	}
	if n := pgtest.Count(t, db.Pool, `SELECT count(*) FROM http WHERE url IS NULL`); n != 0 {
		t.Fatalf("%d rows without a vhost stayed", n)
	}
	if err := roll(); err != nil {
		t.Fatalf("rollup after the reload: %v", err)
	}
	if n := pgtest.Count(t, db.Pool, `SELECT sum(requests) FROM agg_http_vhost WHERE vhost = 'custa.example'`); n != r.RowsAfter {
		t.Fatalf("agg_http_vhost: %d requests, want %d", n, r.RowsAfter)
	}
}

// TestReloadKeepsOldRows: lines that were rows stay rows in a reload,
// however far they now lie behind the window of plausible timestamps;
// lines older still are rejected as before.
func TestReloadKeepsOldRows(t *testing.T) {
	db := pgtest.New(t)
	path := filepath.Join(t.TempDir(), "access.log")
	if err := os.WriteFile(path, squidLines(100, 50), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, db, path)
	older := append(squidLines(100, 50), squidLines(0, 1)...)
	older[len(older)-len(squidLines(0, 1))] = '0' // 0795215541: 1995, a clock error
	if err := os.WriteFile(path, older, 0o644); err != nil {
		t.Fatal(err)
	}
	src := ingest.Source{Name: "squid", Format: "squid", Files: []string{path}}
	opt := ingest.Options{Loc: db.Loc, Log: pgtest.Log(), NotBefore: time.Date(2026, 12, 1, 0, 0, 0, 0, db.Loc)}
	r, err := ingest.Reload(context.Background(), db.Pool, src, opt)
	if err != nil || r.RowsBefore != 50 || r.RowsAfter != 50 || r.RejectsAfter != 1 {
		t.Fatalf("%v %+v", err, r)
	}
}

// TestReloadMail: a mail log reloads like any other; the check that its
// lines are the MTA's reads the counts of the reload itself.
func TestReloadMail(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	path := copyFixture(t, "../../fixtures/postfix/mail-rfc3339.log")
	src := ingest.Source{Name: "mail", Format: "postfix", Files: []string{path}}
	opt := ingest.Options{Loc: db.Loc, Log: pgtest.Log()}
	first, err := ingest.Run(ctx, db.Pool, src, opt)
	if err != nil || first.Rows == 0 {
		t.Fatalf("%v %+v", err, first)
	}
	r, err := ingest.Reload(ctx, db.Pool, src, opt)
	if err != nil {
		t.Fatal(err)
	}
	if r.RowsBefore != first.Rows || r.RowsAfter != first.Rows || pgtest.Count(t, db.Pool, `SELECT count(*) FROM mta`) != first.Rows {
		t.Fatalf("reload of a mail log: %+v, first load %d rows", r, first.Rows)
	}
}
