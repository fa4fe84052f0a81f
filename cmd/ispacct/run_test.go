package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/ispacct/ispacct/config"
	jobrun "github.com/ispacct/ispacct/jobs/run"
	"github.com/ispacct/ispacct/lock"
)

// TestRunCommands: 'ispacct run' runs the chain once per period (again
// only with --force), says what each step did, exits 3 when a file could
// not be read and 4 while another chain runs; 'ispacct status' lists it.
func TestRunCommands(t *testing.T) {
	dir, db := withDB(t)
	sample := fixturesDir
	logs := filepath.Join(dir, "logs")
	os.MkdirAll(logs, 0o755)
	b, _ := os.ReadFile(filepath.Join(sample, "squid", "access.log"))
	os.WriteFile(filepath.Join(logs, "access.log"), b, 0o644)
	os.WriteFile(filepath.Join(dir, "vlan.config"), []byte("1 maint\n1048 mueller\n"), 0o644)
	cfg := filepath.Join(dir, "ispacct.toml")
	os.WriteFile(cfg, []byte(anyAge+source("squid", "squid", filepath.Join(logs, "access.log*"))+`[netsetup]
vlan_config = "vlan.config"
[report]
out_dir = "out"
[mail]
maildir = "Maildir"
`), 0o644)
	base := []string{"--config", cfg, "--db", db.ConnString}
	cmd := func(want int, args ...string) string {
		t.Helper()
		code, out, stderr := ispacct(t, append(args, base...)...)
		if code != want {
			t.Fatalf("ispacct %v: exit %d, want %d\n%s%s", args, code, want, out, stderr)
		}
		return out + stderr
	}

	out := cmd(0, "run", "daily", "--date", "2026-11-21")
	t.Logf("first run:\n%s", out)
	for _, want := range []string{"run daily 2026-11-21: ok in", "landefs: 1 LAN from " + filepath.Join(dir, "vlan.config") + ": 1 added",
		"ingest squid: 1 file read (0 unchanged), 15 lines, 15 rows into proxy, 0 rejects",
		"rollup: 2 table-days recomputed", "acct-2026-11-21.zip", "deliver: 1 message of 2026-11-21 sent, 0 waiting"} {
		if !strings.Contains(out, want) {
			t.Errorf("run daily lacks %q", want)
		}
	}
	if out := cmd(0, "run", "daily", "--date", "2026-11-21"); !strings.Contains(out, "done before by run #1 (ok") {
		t.Fatalf("a second run must not run again:\n%s", out)
	}
	if out := cmd(0, "run", "daily", "--date", "2026-11-21", "--force"); !strings.Contains(out, "ok in") ||
		!strings.Contains(out, "deliver: 0 messages of 2026-11-21 sent") {
		t.Fatalf("--force runs again (the archive was delivered before):\n%s", out)
	}
	cmd(0, "run", "monthly", "--month", "2026-10")

	// A damaged compressed file: the rest is loaded, the run is partial.
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	fmt.Fprintf(zw, "1795215541.000 1 10.4.24.1 TCP_MISS/200 1 GET http://a.example/ - HIER_NONE/- -\n")
	zw.Close()
	os.WriteFile(filepath.Join(logs, "access.log.2.gz"), gz.Bytes()[:gz.Len()-12], 0o644)
	if out := cmd(3, "run", "daily", "--date", "2026-11-20"); !strings.Contains(out, "left out: squid: "+filepath.Join(logs, "access.log.2.gz")+" not read") ||
		!strings.Contains(out, "partly done") || !strings.Contains(out, "notice of what was left out: outbox #") {
		t.Fatalf("a damaged file makes the run partial:\n%s", out)
	}
	os.Remove(filepath.Join(logs, "access.log.2.gz"))

	l, err := lock.Acquire(context.Background(), db.Pool, jobrun.LockName, false)
	if err != nil {
		t.Fatal(err)
	}
	if out := cmd(4, "run", "daily", "--date", "2026-11-19"); !strings.Contains(out, "another run holds the lock \"run\"") {
		t.Fatalf("a held lock: %s", out)
	}
	l.Release()

	out = cmd(0, "status")
	t.Logf("status:\n%s", out)
	// The next monthly tick depends on today: the expectation is taken from
	// the schedule, whose own tests fix the clock.
	loaded, err := config.Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	nextAt, nextMonth := jobrun.Next(loaded, jobrun.JobMonthly, time.Now())
	nextMonthly := fmt.Sprintf("next run %s for %s", nextAt.In(loaded.Loc).Format("2006-01-02 15:04:05 -07:00"), nextMonth.Name())
	for _, want := range []string{"daily: last finished 2026-11-20 (run #4, partial", "ok (forced)", "#4 partly done: squid:",
		"monthly: last finished 2026-10 (run #3, ok", nextMonthly} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q", want)
		}
	}
	// The database cannot be reached: the failure mail goes out all the same.
	before, _ := os.ReadDir(filepath.Join(dir, "Maildir", "new"))
	code, out, stderr := ispacct(t, "run", "daily", "--date", "2026-11-18", "--config", cfg, "--db", "host=/nonexistent port=5 dbname=x")
	after, _ := os.ReadDir(filepath.Join(dir, "Maildir", "new"))
	if code != exitFailed || len(after) != len(before)+1 {
		t.Fatalf("database unreachable: exit %d, %d new message(s)\n%s%s", code, len(after)-len(before), out, stderr)
	}

	var st []jobrun.JobStatus
	if err := json.Unmarshal([]byte(cmd(0, "status", "--json", "--limit", "2")), &st); err != nil || len(st) != 2 ||
		len(st[0].Runs) != 2 || st[0].Runs[0].Status != jobrun.StatusPartial || st[0].Runs[1].Sources[0].Rows != 0 {
		t.Fatalf("status --json: %v %+v", err, st)
	}

	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"run"}, "name the chain: daily or monthly"},
		{[]string{"run", "weekly"}, "name the chain"},
		{[]string{"run", "daily", "--month", "2026-11"}, "--month is for 'run monthly'"},
		{[]string{"run", "monthly", "--month", "2026-13"}, `--month "2026-13": want YYYY-MM`},
		{[]string{"run", "daily", "--date", "yesterday"}, `--date: date "yesterday"`},
		{[]string{"run", "monthly", "--month", time.Now().Format("2006-01")}, "has not ended yet"},
		{[]string{"run", "daily", "--catch-up", "--date", "2026-11-20"}, "--catch-up runs what is due"},
		{[]string{"status", "--limit", "0"}, "--limit 0"},
		{[]string{"daemon", "now"}, "unexpected arguments"},
	} {
		if out := cmd(exitUsage, tt.args...); !strings.Contains(out, tt.want) {
			t.Errorf("ispacct %v: %q, want %q", tt.args, out, tt.want)
		}
	}
}

// TestDaemonStopDuringIngest runs the daemon as a process over a big log
// and sends SIGTERM while it ingests: it exits 0 within the grace time,
// the interrupted run is in the ledger, and the next run loads the rest,
// every line exactly once.
func TestDaemonStopDuringIngest(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and ingests a big log")
	}
	bin := buildBinary(t) // before isolate leaves the module
	dir, db := withDB(t)

	const n = 600000
	f, err := os.Create(filepath.Join(dir, "access.log"))
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	start := time.Now().Add(-26 * time.Hour).Unix()
	for i := range n {
		fmt.Fprintf(w, "%d.%03d %6d 10.4.%d.%d TCP_MISS/200 %d GET http://x%d.example/path/%d - HIER_DIRECT/192.0.2.1 text/html\n",
			start+int64(i/100), i%1000, i%5000, i%200, 2+i%250, 100000+i, i%97, i)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	const grace = time.Second
	cfg := filepath.Join(dir, "ispacct.toml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`[ingest]
batch_kb = 1024
[[source]]
name = "squid"
format = "squid"
paths = [%q]
[report]
out_dir = "out"
[schedule]
grace = %q
`, filepath.Join(dir, "access.log*"), grace.String())), 0o644)

	var stderr syncWriter
	d := exec.Command(bin, "daemon", "--config", cfg, "--db", db.ConnString)
	d.Stderr = &stderr
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
	defer d.Process.Kill()
	ctx := context.Background()
	count := func() (rows int64) {
		db.Pool.QueryRow(ctx, `SELECT count(*) FROM proxy`).Scan(&rows)
		return rows
	}
	for deadline := time.Now().Add(60 * time.Second); count() == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no batch committed within 60 s:\n%s", stderr.String())
		}
	}
	t0 := time.Now()
	d.Process.Signal(syscall.SIGTERM)
	err = d.Wait()
	took := time.Since(t0)
	t.Logf("SIGTERM after the first batch: exit %v after %s; %d of %d rows loaded", err, took.Round(time.Millisecond), count(), n)
	if err != nil || took > grace {
		t.Fatalf("the daemon must exit 0 within the grace time %s: %v after %s\n%s", grace, err, took, stderr.String())
	}
	if c := count(); c == 0 || c >= n {
		t.Fatalf("the stop did not fall into the ingest: %d of %d rows", c, n)
	}
	// A new ledger starts with the latest due month and day, the month
	// first: whichever it was, it is the one the stop interrupted.
	var job, period, status, step, msg string
	err = db.Pool.QueryRow(ctx, `SELECT job, period, status, step, error FROM runs ORDER BY id DESC LIMIT 1`).Scan(&job, &period, &status, &step, &msg)
	if err != nil || status != "failed" || step != "ingest" || !strings.Contains(msg, "interrupted by a stop request") {
		t.Fatalf("the interrupted run in the ledger: %s %s %s %s %q %v", job, period, status, step, msg, err)
	}
	flag := "--date"
	if job == "monthly" {
		flag = "--month"
	}
	if !strings.Contains(stderr.String(), `msg="daemon stopped"`) {
		t.Errorf("no clean stop in the log:\n%s", stderr.String())
	}

	code, out, errOut := ispacct(t, "run", job, flag, period, "--config", cfg, "--db", db.ConnString)
	if code != 0 {
		t.Fatalf("the next run: exit %d\n%s%s", code, out, errOut)
	}
	var rows, sizes int64
	db.Pool.QueryRow(ctx, `SELECT count(*), count(DISTINCT size) FROM proxy`).Scan(&rows, &sizes)
	if rows != n || sizes != n {
		t.Fatalf("after the next run: %d rows, %d distinct lines; want every one of the %d lines once", rows, sizes, n)
	}
}

// syncWriter collects a process's output for the test to read meanwhile.
type syncWriter struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
