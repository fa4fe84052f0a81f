package run_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jonboulle/clockwork"

	"github.com/ispacct/ispacct/config"
	"github.com/ispacct/ispacct/jobs/run"
	"github.com/ispacct/ispacct/mailer/mailtest"
	"github.com/ispacct/ispacct/schema"
	"github.com/ispacct/ispacct/schema/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// env is a database, a Squid log with five lines on every day from
// 2026-10-27 to last (none later: ingest takes lines from the future
// of the test's clock for clock errors), and a configuration reading it.
type env struct {
	db   *pgtest.DB
	dir  string
	logs *syncBuffer
	log  *slog.Logger
}

func newEnv(t *testing.T, last time.Time) *env {
	t.Helper()
	t.Setenv("ISPACCT_TIMEZONE", "Europe/Berlin")
	t.Setenv("DATABASE_URL", "")
	e := &env{db: pgtest.New(t), dir: t.TempDir(), logs: &syncBuffer{}}
	e.log = slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("daemon log:\n%s", e.logs.String())
		}
	})
	var b bytes.Buffer
	n := 0
	for d := berlin(2026, 10, 27, 12, 0); !d.After(last); d = d.AddDate(0, 0, 1) {
		for i := range 5 {
			n++
			fmt.Fprintf(&b, "%d.000 %6d 10.4.24.%d TCP_MISS/200 %d GET http://x.example/%d - HIER_NONE/- text/html\n",
				d.Unix()+int64(i), 10+i, 2+i, 1000+n, n)
		}
	}
	if err := os.WriteFile(filepath.Join(e.dir, "access.log"), b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return e
}

// config writes a configuration with the given [mail] part (and anything
// else) and loads it.
func (e *env) config(t *testing.T, name, extra string) (*config.Config, string) {
	t.Helper()
	p := filepath.Join(e.dir, name)
	text := fmt.Sprintf(`state_dir = %q
[[source]]
name = "squid"
format = "squid"
paths = [%q]
[netsetup]
vlan_config = %q
`, filepath.Join(e.dir, "state"), filepath.Join(e.dir, "access.log*"), filepath.Join(e.dir, "vlan.config")) + extra
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	return cfg, p
}

func smtpMail(pf *mailtest.Postfix) string {
	return fmt.Sprintf(`[mail]
to = [%q]
from = "ispacct@cpe.example.net"
retry_min = "0s"
[mail.smtp]
host = "127.0.0.1"
port = %d
security = "none"
timeout = "10s"
`, mailtest.Admin, pf.Port)
}

// seed records finished runs as an earlier daemon would have.
func (e *env) seed(t *testing.T, job run.Job, periods ...string) {
	t.Helper()
	for _, p := range periods {
		now := time.Now()
		r := run.Result{Run: run.Run{Job: job, Period: p, Status: run.StatusOK, By: "daemon", StartedAt: now, FinishedAt: &now,
			Host: "earlier", PID: 1}}
		if err := run.Record(context.Background(), e.db.Pool, &r); err != nil {
			t.Fatal(err)
		}
	}
}

// ledger lists the runs after the seeded ones as "job period status[/step]".
func (e *env) ledger(t *testing.T) []string {
	t.Helper()
	rows, err := e.db.Pool.Query(context.Background(), `SELECT job || ' ' || period || ' ' || status || coalesce('/' || step, '')
		FROM runs WHERE host <> 'earlier' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// daemon is a Daemon running in the test on a fake clock.
type daemon struct {
	d      *run.Daemon
	clock  *clockwork.FakeClock
	ticks  chan run.Tick
	hup    chan os.Signal
	stop   func()
	result chan error
}

func (e *env) start(t *testing.T, cfg *config.Config, clock *clockwork.FakeClock, open func(context.Context) (*pgxpool.Pool, error),
	reload func() (*config.Config, error)) *daemon {
	t.Helper()
	dm := &daemon{clock: clock, ticks: make(chan run.Tick, 32), hup: make(chan os.Signal, 1), result: make(chan error, 1)}
	dm.d = run.NewDaemon(run.DaemonOptions{Config: cfg, Log: e.log, Open: open, Reload: reload, Clock: clock,
		OnTick: func(tk run.Tick) { dm.ticks <- tk }})
	ctx, cancel := context.WithCancel(context.Background())
	dm.stop = cancel
	go func() { dm.result <- dm.d.Run(ctx, dm.hup) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-dm.result:
		case <-time.After(30 * time.Second):
			t.Error("daemon did not stop")
		}
	})
	return dm
}

func (e *env) pool(ctx context.Context) (*pgxpool.Pool, error) { return e.db.Pool, nil }

// next waits for the daemon's next tick report.
func (dm *daemon) next(t *testing.T) run.Tick {
	t.Helper()
	select {
	case tk := <-dm.ticks:
		return tk
	case <-time.After(60 * time.Second):
		t.Fatal("no tick within 60 s")
		return run.Tick{}
	}
}

// advanceTo moves the clock to at once the daemon's timers are armed
// (daily, monthly, outbox).
func (dm *daemon) advanceTo(t *testing.T, at time.Time) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := dm.clock.BlockUntilContext(ctx, 3); err != nil {
		t.Fatalf("timers not armed: %v", err)
	}
	dm.clock.Advance(at.Sub(dm.clock.Now()))
}

func (dm *daemon) shutdown(t *testing.T) {
	t.Helper()
	dm.stop()
	select {
	case err := <-dm.result:
		if err != nil {
			t.Fatalf("daemon stopped with %v", err)
		}
		dm.result <- nil // for the cleanup
	case <-time.After(30 * time.Second):
		t.Fatal("daemon did not stop")
	}
}

func names(tk run.Tick) []string {
	var out []string
	for _, r := range tk.Runs {
		out = append(out, fmt.Sprintf("%s %s %s", r.Job, r.Period, r.Status))
	}
	return out
}

func equal(a, b []string) bool { return strings.Join(a, "\n") == strings.Join(b, "\n") }

// TestCatchUpAfterPowerCut: the box was off from 2026-10-29 to noon on
// 2026-11-01, across three nightly slots and the month's end. On start the
// daemon runs the three days and the month, in the order they fell due,
// once each; the next night only the new day.
func TestCatchUpAfterPowerCut(t *testing.T) {
	e := newEnv(t, berlin(2026, 10, 31, 12, 0))
	md := filepath.Join(e.dir, "Maildir")
	metrics := filepath.Join(e.dir, "textfile", "ispacct.prom")
	cfg, _ := e.config(t, "ispacct.toml", fmt.Sprintf("[report]\nout_dir = %q\n[mail]\nmaildir = %q\n[schedule]\nmetrics_file = %q\n",
		filepath.Join(e.dir, "out"), md, metrics))
	e.seed(t, run.JobDaily, "2026-10-27", "2026-10-28")
	e.seed(t, run.JobMonthly, "2026-09")

	dm := e.start(t, cfg, clockwork.NewFakeClockAt(berlin(2026, 11, 1, 12, 0)), e.pool, nil)
	tk := dm.next(t)
	want := []string{"daily 2026-10-29 ok", "daily 2026-10-30 ok", "daily 2026-10-31 ok", "monthly 2026-10 ok"}
	if tk.Err != nil || !equal(names(tk), want) {
		t.Fatalf("catch-up ran %q (err %v), want %q", names(tk), tk.Err, want)
	}
	if tk.Runs[0].Rows != 25 || tk.Runs[1].Rows != 0 {
		t.Errorf("the first run loads every line (25), the others none: %d, %d", tk.Runs[0].Rows, tk.Runs[1].Rows)
	}

	dm.advanceTo(t, berlin(2026, 11, 2, 1, 30))
	tk = dm.next(t)
	if !equal(names(tk), []string{"daily 2026-11-01 ok"}) {
		t.Fatalf("next night ran %q, want only 2026-11-01", names(tk))
	}
	dm.shutdown(t)

	if got := e.ledger(t); !equal(got, append(want, "daily 2026-11-01 ok")) {
		t.Fatalf("ledger:\n%s", strings.Join(got, "\n"))
	}
	msgs, _ := os.ReadDir(filepath.Join(md, "new"))
	if len(msgs) != 5 {
		t.Errorf("%d message(s) in the Maildir, want 5 archives", len(msgs))
	}
	prom, err := os.ReadFile(metrics)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`ispacct_run_last_status{job="daily",status="ok"} 1`, `ispacct_run_backlog_periods{job="daily"} 0`,
		`ispacct_run_missed_periods{job="daily"} 0`,
		`ispacct_run_backlog_periods{job="monthly"} 0`, `ispacct_ingest_rows{job="daily",source="squid"} 0`,
		"# TYPE ispacct_run_last_success_timestamp_seconds gauge"} {
		if !strings.Contains(string(prom), want+"\n") {
			t.Errorf("metrics lack %q:\n%s", want, prom)
		}
	}
}

// TestTwoTicksAtOnce: with the daily and the monthly time equal, both
// ticks fire together on the 1st in one daemon; the day and the month run
// once each, and neither tick waits on the other while holding a
// database connection (the pool has four).
func TestTwoTicksAtOnce(t *testing.T) {
	e := newEnv(t, berlin(2026, 10, 31, 12, 0))
	cfg, _ := e.config(t, "ispacct.toml", fmt.Sprintf("[report]\nout_dir = %q\n[schedule]\ndaily = \"03:00\"\nmonthly = \"03:00\"\n",
		filepath.Join(e.dir, "out")))
	e.seed(t, run.JobDaily, "2026-10-30")
	e.seed(t, run.JobMonthly, "2026-09")
	pool, err := schema.Open(context.Background(), e.db.ConnString, e.db.Loc, e.log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	dm := e.start(t, cfg, clockwork.NewFakeClockAt(berlin(2026, 10, 31, 12, 0)), func(context.Context) (*pgxpool.Pool, error) { return pool, nil }, nil)
	if tk := dm.next(t); len(tk.Runs) != 0 {
		t.Fatalf("nothing is due at start, yet it ran %q", names(tk))
	}
	dm.advanceTo(t, berlin(2026, 11, 1, 3, 0))
	var ran []string
	for tk := dm.next(t); ; {
		ran = append(ran, names(tk)...)
		if len(ran) >= 2 {
			break
		}
		tk = dm.next(t)
	}
	dm.shutdown(t)
	t.Logf("ticks that joined the one under way: %d", strings.Count(e.logs.String(), "tick joins the one under way"))
	want := []string{"daily 2026-10-31 ok", "monthly 2026-10 ok"}
	if !equal(ran, want) || !equal(e.ledger(t), want) {
		t.Fatalf("ran %q, ledger %q; want %q", ran, e.ledger(t), want)
	}
}

// TestTwoDaemonsOneDatabase: two daemons with the same schedule on one
// database, started together and woken together: every period runs once,
// and the mail server gets one archive per period.
func TestTwoDaemonsOneDatabase(t *testing.T) {
	e := newEnv(t, berlin(2026, 10, 31, 12, 0))
	pf := mailtest.StartPostfix(t, mailtest.PostfixOptions{})
	cfg, _ := e.config(t, "ispacct.toml", fmt.Sprintf("[report]\nout_dir = %q\n", filepath.Join(e.dir, "out"))+smtpMail(pf))
	e.seed(t, run.JobDaily, "2026-10-28")
	e.seed(t, run.JobMonthly, "2026-09")

	start := berlin(2026, 11, 1, 12, 0)
	var dms []*daemon
	for range 2 {
		pool, err := schema.Open(context.Background(), e.db.ConnString, e.db.Loc, e.log)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		dms = append(dms, e.start(t, cfg, clockwork.NewFakeClockAt(start), func(context.Context) (*pgxpool.Pool, error) { return pool, nil }, nil))
	}
	ran := map[string]int{}
	skipped := 0
	collect := func() {
		for _, dm := range dms {
			tk := dm.next(t)
			if tk.Skipped {
				skipped++
			}
			for _, r := range tk.Runs {
				if r.Before == nil {
					ran[fmt.Sprintf("%s %s", r.Job, r.Period)]++
				}
			}
		}
	}
	collect()
	var wg sync.WaitGroup
	for _, dm := range dms {
		wg.Add(1)
		go func() { defer wg.Done(); dm.advanceTo(t, berlin(2026, 11, 2, 1, 30)) }()
	}
	wg.Wait()
	collect()
	t.Logf("runs per period %v; ticks skipped for the other daemon's lock: %d", ran, skipped)

	want := []string{"daily 2026-10-29 ok", "daily 2026-10-30 ok", "daily 2026-10-31 ok", "monthly 2026-10 ok", "daily 2026-11-01 ok"}
	if got := e.ledger(t); !equal(got, want) {
		t.Fatalf("ledger:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for p, n := range ran {
		if n != 1 {
			t.Errorf("%s ran %d times", p, n)
		}
	}
	pf.Received(len(want), 20*time.Second)
	time.Sleep(500 * time.Millisecond) // a doubled message would have arrived by now
	msgs := pf.Received(len(want)+1, 0)
	subjects := map[string]int{}
	for _, m := range msgs {
		p, err := mailtest.Parse(m)
		if err != nil {
			t.Fatal(err)
		}
		subjects[p.Header.Get("Subject")]++
	}
	if len(msgs) != len(want) || len(subjects) != len(want) {
		t.Fatalf("the mail server received %d message(s), want %d, one per period: %v", len(msgs), len(want), subjects)
	}
}

// TestFailuresAreRecordedMailedRetried: the database refuses connections
// when the daemon starts; the failure goes straight to the mail server
// and is recorded once the database is back. Then the archive step fails
// (its folder cannot be created): recorded with the step and the error,
// mailed through the outbox, and retried by the next tick after a SIGHUP
// has loaded a configuration that fixes it.
func TestFailuresAreRecordedMailedRetried(t *testing.T) {
	e := newEnv(t, berlin(2026, 11, 4, 12, 0))
	pf := mailtest.StartPostfix(t, mailtest.PostfixOptions{})
	os.WriteFile(filepath.Join(e.dir, "afile"), nil, 0o644)
	bad, _ := e.config(t, "bad.toml", fmt.Sprintf("[report]\nout_dir = %q\n", filepath.Join(e.dir, "afile", "out"))+smtpMail(pf))
	_, goodPath := e.config(t, "good.toml", fmt.Sprintf("[report]\nout_dir = %q\n", filepath.Join(e.dir, "out"))+smtpMail(pf))
	e.seed(t, run.JobDaily, "2026-11-03")
	e.seed(t, run.JobMonthly, "2026-10")

	block := func(allow bool) {
		t.Helper()
		c, err := pgx.ParseConfig(e.db.ConnString)
		if err != nil {
			t.Fatal(err)
		}
		name := c.Database
		c.Database = "postgres"
		admin, err := pgx.ConnectConfig(context.Background(), c)
		if err != nil {
			t.Fatal(err)
		}
		defer admin.Close(context.Background())
		if _, err := admin.Exec(context.Background(), fmt.Sprintf("ALTER DATABASE %s ALLOW_CONNECTIONS %t", name, allow)); err != nil {
			t.Fatal(err)
		}
		if !allow {
			admin.Exec(context.Background(), `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, name)
		}
		e.db.Pool.Reset() // the test's own connections were cut too
	}
	var pool *pgxpool.Pool
	open := func(ctx context.Context) (*pgxpool.Pool, error) {
		if pool == nil {
			p, err := schema.Open(ctx, e.db.ConnString, e.db.Loc, e.log)
			if err != nil {
				return nil, err
			}
			pool = p
			t.Cleanup(p.Close)
		}
		return pool, nil
	}
	reload := func() (*config.Config, error) { return config.Load(goodPath) }

	block(false)
	dm := e.start(t, bad, clockwork.NewFakeClockAt(berlin(2026, 11, 5, 12, 0)), open, reload)
	tk := dm.next(t)
	if tk.Err == nil || !strings.Contains(tk.Err.Error(), "not currently accepting connections") {
		t.Fatalf("with the database refusing, the tick must fail: %v", tk.Err)
	}
	msgs := pf.Received(1, 20*time.Second)
	// The body is quoted-printable: where its soft line breaks fall
	// depends on the length of the paths in it.
	var body string
	if len(msgs) == 1 {
		body = strings.NewReplacer("=\r\n", "", "=\n", "").Replace(string(msgs[0]))
	}
	if len(msgs) != 1 || !strings.Contains(body, "FAILED: run daily 2026-11-04") ||
		!strings.Contains(body, "ispacct run daily --date 2026-11-04") || !strings.Contains(body, "accepting connections") {
		t.Fatalf("failure notice with the database down: %d message(s)\n%s", len(msgs), bytes.Join(msgs, []byte("\n----\n")))
	}

	block(true)
	dm.advanceTo(t, berlin(2026, 11, 6, 1, 30))
	tk = dm.next(t)
	want := []string{"daily 2026-11-04 failed", "daily 2026-11-05 failed"}
	if !equal(names(tk), want) {
		t.Fatalf("second tick ran %q, want %q", names(tk), want)
	}
	if r := tk.Runs[0]; r.Step != run.StepArchive || !strings.Contains(r.Error, "not a directory") || !r.Recorded {
		t.Fatalf("archive failure: %+v", r.Run)
	}
	if msgs := pf.Received(3, 20*time.Second); len(msgs) != 3 {
		t.Fatalf("%d message(s); want the first notice and one per failed period", len(msgs))
	}

	dm.hup <- syscall.SIGHUP
	e.waitLog(t, `msg="configuration reloaded"`) // rescheduled: the timers are the new ones
	dm.advanceTo(t, berlin(2026, 11, 7, 1, 30))
	tk = dm.next(t)
	want = []string{"daily 2026-11-04 ok", "daily 2026-11-05 ok", "daily 2026-11-06 ok"}
	if !equal(names(tk), want) {
		t.Fatalf("third tick ran %q, want %q", names(tk), want)
	}
	dm.shutdown(t)

	ledger := e.ledger(t)
	wantLedger := []string{"daily 2026-11-04 failed/database", "daily 2026-11-04 failed/archive", "daily 2026-11-05 failed/archive",
		"daily 2026-11-04 ok", "daily 2026-11-05 ok", "daily 2026-11-06 ok"}
	if !equal(ledger, wantLedger) {
		t.Fatalf("ledger:\n%s\nwant:\n%s", strings.Join(ledger, "\n"), strings.Join(wantLedger, "\n"))
	}
	var dbErr string
	e.db.Pool.QueryRow(context.Background(), `SELECT error FROM runs WHERE step = 'database'`).Scan(&dbErr)
	if !strings.Contains(dbErr, "not currently accepting connections") {
		t.Errorf("the recorded error does not say what happened: %q", dbErr)
	}
	if msgs := pf.Received(6, 20*time.Second); len(msgs) != 6 {
		t.Errorf("%d message(s), want 3 failure notices and 3 archives", len(msgs))
	}
}

// waitLog waits until the daemon has logged want.
// TestReloadKeepsWhatNeedsARestart: SIGHUP takes the new configuration
// but for what only a restart can change, each named in the log: the
// database, the zone and the state folder, and the web page's listener
// (address, TLS, session length), by which the page keeps serving.
func TestReloadKeepsWhatNeedsARestart(t *testing.T) {
	e := newEnv(t, berlin(2026, 11, 4, 12, 0))
	cfg, _ := e.config(t, "old.toml", "[web]\nlisten = \"127.0.0.1:8081\"\n")
	_, path := e.config(t, "new.toml", `[database]
url = "host=/nonexistent dbname=other"
[web]
listen = "127.0.0.1:9090"
cert = "web.crt"
key = "web.key"
session_hours = 2
[report]
raw_sheets = false
`)
	dm := e.start(t, cfg, clockwork.NewFakeClockAt(berlin(2026, 11, 5, 12, 0)), e.pool,
		func() (*config.Config, error) { return config.Load(path) })
	dm.next(t)
	dm.hup <- syscall.SIGHUP
	e.waitLog(t, `msg="configuration reloaded"`)
	got := dm.d.Config()
	if got.Report.RawSheets {
		t.Error("report.raw_sheets was not reloaded")
	}
	w := got.Web
	if got.Database.URL != cfg.Database.URL || got.Loc.String() != "Europe/Berlin" || w.Listen != "127.0.0.1:8081" || w.TLS() || w.SessionHours != 8 {
		t.Errorf("reloaded: database %q, zone %s, web %+v; want the started ones", got.Database.URL, got.Loc, w)
	}
	for _, want := range []string{"database.url, timezone and state_dir take effect at the next start",
		"web.listen, web.cert, web.key and web.session_hours take effect at the next start"} {
		if !strings.Contains(e.logs.String(), want) {
			t.Errorf("the log does not say %q", want)
		}
	}
}

func (e *env) waitLog(t *testing.T, want string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(e.logs.String(), want); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the daemon did not log %s", want)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for the daemon's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
