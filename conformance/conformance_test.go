// Package conformance checks ispacct against the logs real servers write.
//
// Each test runs Debian's own daemon (Squid, Apache, Postfix) as a private
// instance on loopback ports, sends it ordinary and hostile traffic, and
// then compares two readings of the logs the daemon wrote: requests and
// bytes per client, LAN, vhost, user, recipient and second, counted with
// gawk straight from the server's fields, and the same totals from
// ispacct's tables and aggregates after the real ingest and rollup.
// Billing rests on these numbers, so they must be equal, and no line may
// be rejected or file held back.
//
// fixtures/install-test-deps.sh conformance installs the servers (make test-deps runs
// it). Without them, or without root, the tests skip, except under
// CI=true, where they fail.
package conformance

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ispacct/ispacct/jobs/ingest"
	"github.com/ispacct/ispacct/jobs/rollup"
	"github.com/ispacct/ispacct/mailer/mailtest"
	"github.com/ispacct/ispacct/schema/pgtest"
)

var quiet = pgtest.Log()

func TestMain(m *testing.M) { pgtest.Main(m) }

// need skips the test when a program (or gawk, which counts the fields)
// is missing or the test is not root, or fails it under CI.
func need(t *testing.T, programs ...string) { mailtest.Need(t, append(programs, "gawk")...) }

// bigSize is the size of the large responses: def, or for a quick run
// ISPACCT_CONFORMANCE_BIG bytes, or 100 MB with -short.
func bigSize(t *testing.T, def int64) int64 {
	t.Helper()
	s := os.Getenv("ISPACCT_CONFORMANCE_BIG")
	if s == "" && testing.Short() {
		return 100_000_000
	}
	if s == "" {
		return def
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 1 {
		t.Fatalf("ISPACCT_CONFORMANCE_BIG=%q: want a number of bytes", s)
	}
	return n
}

func execOut(name string, args ...string) (string, error) {
	out, err := exec.Command(name, args...).CombinedOutput()
	return string(out), err
}

// serverDir makes a folder the servers' unprivileged users can traverse
// and write (a test's TempDir is 0700 root), removed when the test ends.
func serverDir(t *testing.T, prefix string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// serverConf writes testdata/name into dir with @DIR@, @PORT@ and the
// further placeholder/value pairs filled in, and returns its path.
func serverConf(t *testing.T, name, dir string, port int, more ...string) string {
	t.Helper()
	conf, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	pairs := append([]string{"@DIR@", dir, "@PORT@", strconv.Itoa(port)}, more...)
	path := filepath.Join(dir, name)
	writeFile(t, path, strings.NewReplacer(pairs...).Replace(string(conf)))
	return path
}

// freePort returns a loopback TCP port nobody listens on right now, on
// both 127.0.0.1 and ::1.
func freePort(t *testing.T) int {
	t.Helper()
	for range 20 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l6, err := net.Listen("tcp", fmt.Sprintf("[::1]:%d", port))
		l.Close()
		if err == nil {
			l6.Close()
			return port
		}
	}
	t.Fatal("no free port on both 127.0.0.1 and ::1")
	return 0
}

// waitListening waits until addr accepts connections.
func waitListening(t *testing.T, addr string, limit time.Duration, why func() string) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s not listening after %s\n%s", addr, limit, why())
}

// daemon runs a server in the foreground as the test's child and ends it
// with SIGTERM (then SIGKILL) when the test ends or Stop is called.
type daemon struct {
	name string
	cmd  *exec.Cmd
	out  bytes.Buffer
}

// startDaemon runs args in the time zone tz: a server writes its local
// time with an offset, and an odd offset shows whether it is applied.
func startDaemon(t *testing.T, name, tz string, args ...string) *daemon {
	t.Helper()
	d := &daemon{name: name, cmd: exec.Command(args[0], args[1:]...)}
	d.cmd.Env = append(os.Environ(), "TZ="+tz)
	d.cmd.Stdout, d.cmd.Stderr = &d.out, &d.out
	d.cmd.SysProcAttr = mailtest.DieWithUs()
	if err := d.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	t.Cleanup(func() { d.Stop(t) })
	return d
}

// Stop ends the server and waits for it, so its logs are complete.
func (d *daemon) Stop(t *testing.T) {
	if d.cmd == nil {
		return
	}
	d.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { d.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		t.Errorf("%s did not stop within 15 s; killed", d.name)
		d.cmd.Process.Kill()
		<-done
	}
	d.cmd = nil
}

// perSecond is the query for tallies by second (UTC) of a table's rows:
// the time a line gives must be the time the server logged.
func perSecond(table, size string) string {
	return fmt.Sprintf(`SELECT to_char(zeit AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), count(*), coalesce(sum(%s), 0) FROM %s GROUP BY 1`, size, table)
}

// tally is what a set of log lines adds up to for one key.
type tally struct {
	Requests int64
	Bytes    int64
}

// tallies maps a key (a client address, "vhost client", a user, …) to
// its totals.
type tallies map[string]tally

func (m tallies) sum() tally {
	var s tally
	for _, v := range m {
		s.Requests += v.Requests
		s.Bytes += v.Bytes
	}
	return s
}

// awkTallies runs a gawk program from testdata (with escapes.awk) over
// the files. The
// program prints "key<TAB>requests<TAB>bytes" lines; lines it cannot read
// it prints to stderr, which fails the test (the ground truth must cover
// every line).
func awkTallies(t *testing.T, program string, vars map[string]string, files ...string) tallies {
	t.Helper()
	args := []string{"-f", filepath.Join("testdata", "escapes.awk"), "-f", filepath.Join("testdata", program)}
	for k, v := range vars {
		args = append(args, "-v", k+"="+v)
	}
	cmd := exec.Command("gawk", append(args, files...)...)
	// Bytes, not characters: the logs are not all UTF-8; mktime and strftime in UTC, as the tables are read.
	cmd.Env = append(os.Environ(), "LC_ALL=C", "TZ=UTC")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil || stderr.Len() > 0 {
		t.Fatalf("gawk %s: %v\n%s", program, err, stderr.String())
	}
	return parseTallies(t, string(out))
}

func parseTallies(t *testing.T, text string) tallies {
	t.Helper()
	m := tallies{}
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		if line == "" {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 3 {
			t.Fatalf("tally line %q: want key, requests, bytes", line)
		}
		r, err1 := strconv.ParseInt(f[1], 10, 64)
		b, err2 := strconv.ParseInt(f[2], 10, 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("tally line %q: numbers", line)
		}
		v := m[f[0]]
		m[f[0]] = tally{v.Requests + r, v.Bytes + b}
	}
	return m
}

// dbTallies runs a query returning key, requests, bytes.
func dbTallies(t *testing.T, db *pgtest.DB, query string, args ...any) tallies {
	t.Helper()
	rows, err := db.Pool.Query(context.Background(), query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	m := tallies{}
	for rows.Next() {
		var k string
		var v tally
		if err := rows.Scan(&k, &v.Requests, &v.Bytes); err != nil {
			t.Fatal(err)
		}
		// A key twice (a query that does not group by it) adds up.
		s := m[k]
		m[k] = tally{s.Requests + v.Requests, s.Bytes + v.Bytes}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return m
}

// sameTallies reports every key whose totals differ.
func sameTallies(t *testing.T, what string, want, got tallies) {
	t.Helper()
	keys := map[string]bool{}
	for k := range want {
		keys[k] = true
	}
	for k := range got {
		keys[k] = true
	}
	var ks []string
	for k := range keys {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	var diff []string
	for _, k := range ks {
		if want[k] != got[k] {
			diff = append(diff, fmt.Sprintf("  %q: server's log %d requests %d bytes, ispacct %d requests %d bytes",
				k, want[k].Requests, want[k].Bytes, got[k].Requests, got[k].Bytes))
		}
	}
	if len(diff) > 0 {
		t.Errorf("%s: totals differ (server's log %+v, ispacct %+v):\n%s", what, want.sum(), got.sum(), strings.Join(diff, "\n"))
	}
}

// load ingests files as one source and rolls up the days it touched, as
// the nightly run does.
func load(t *testing.T, db *pgtest.DB, format, vhost string, files ...string) *ingest.Result {
	t.Helper()
	ctx := context.Background()
	res, err := ingest.Run(ctx, db.Pool, ingest.Source{Name: format, Format: format, VHost: vhost, Files: files},
		ingest.Options{Loc: db.Loc, Log: quiet})
	if err != nil {
		t.Fatalf("ingest %s: %v", format, err)
	}
	if len(res.FileErrors) > 0 {
		t.Fatalf("ingest %s: %+v", format, res.FileErrors)
	}
	// A file held back (not read as the format it was named with) is
	// loaded by nobody: as bad as every line rejected.
	for _, h := range res.Held {
		t.Errorf("ingest %s: %s held: %s (%s)", format, filepath.Base(h.Path), h.Reason, h.Fix)
	}
	if _, err := rollup.Run(ctx, db.Pool, time.Time{}, time.Time{},
		rollup.Options{Loc: db.Loc, Log: quiet, LocalDomains: []string{mailDomain}}); err != nil {
		// The rows are there: compare them still.
		t.Errorf("rollup after ingest of %s: %v", format, err)
	}
	return res
}

// noRejects fails the test with every rejected line of the files.
func noRejects(t *testing.T, db *pgtest.DB, what string) {
	t.Helper()
	rows, err := db.Pool.Query(context.Background(),
		`SELECT f.path, r.line, r.reason, r.raw FROM rejects r JOIN ingest_files f ON f.id = r.file_id ORDER BY f.path, r.line`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var path, reason string
		var line int64
		var raw []byte
		if err := rows.Scan(&path, &line, &reason, &raw); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, fmt.Sprintf("  %s:%d: %s\n    %q", filepath.Base(path), line, reason, raw))
	}
	if len(lines) > 0 {
		t.Errorf("%s: %d line(s) rejected:\n%s", what, len(lines), strings.Join(lines, "\n"))
	}
}

// keepLogs copies the server's logs to $ISPACCT_CONFORMANCE_KEEP/<test>,
// to read them after the test removed its folders.
func keepLogs(t *testing.T, files ...string) {
	t.Helper()
	keep := os.Getenv("ISPACCT_CONFORMANCE_KEEP")
	if keep == "" {
		return
	}
	dir := filepath.Join(keep, t.Name())
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("logs kept in %s", dir)
}

// mustContain fails the test for each kind of line the traffic should
// have put in a log but did not: the comparison would pass without it.
func mustContain(t *testing.T, path string, kinds map[string]string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for what, s := range kinds {
		if !bytes.Contains(b, []byte(s)) {
			t.Errorf("%s has no %s (%q): the traffic did not do what it should", filepath.Base(path), what, s)
		}
	}
}

// logLines returns a log's lines, for messages.
func logLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimRight(string(b), "\n"), "\n")
}

// tailFile returns the last n lines of a file, for failure messages.
// writeFile writes a file the servers' users can read.
func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// drain reads r to its end and returns how many bytes it read, in large
// reads: a response of gigabytes costs seconds, not a minute.
func drain(r io.Reader) int64 {
	n, _ := io.CopyBuffer(onlyWriter{io.Discard}, r, make([]byte, 1<<20))
	return n
}

// fetchDiscard sends a raw request and throws the whole answer away in
// the kernel (splice to /dev/null), returning its size: a response of
// gigabytes costs the client next to nothing.
func fetchDiscard(t *testing.T, addr, request string) int64 {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Minute))
	if _, err := io.WriteString(c, request); err != nil {
		t.Fatal(err)
	}
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	n, err := io.Copy(null, c)
	if err != nil {
		t.Fatalf("read from %s: %v", addr, err)
	}
	return n
}

// sparseFile makes a file of size zero bytes that takes no disk.
func sparseFile(t *testing.T, path string, size int64) string {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	if err := f.Chmod(0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// onlyWriter hides io.Discard's ReadFrom, whose 8 KiB reads are slow.
type onlyWriter struct{ io.Writer }

// rawExchange sends text on a fresh connection and returns what comes
// back until the server closes or limit passes. The servers close after
// each of the test's raw requests, so a generous limit costs nothing and
// keeps a loaded machine from cutting an answer short (which would log
// another line than the one wanted). Empty text: the
// connection is closed at once, as a port scanner or health check does.
func rawExchange(t *testing.T, addr, text string, limit time.Duration) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	defer c.Close()
	if text == "" {
		return ""
	}
	c.SetDeadline(time.Now().Add(limit))
	if _, err := io.WriteString(c, text); err != nil {
		return ""
	}
	b, _ := io.ReadAll(c)
	return string(b)
}
