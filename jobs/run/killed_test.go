package run_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ispacct/ispacct/config"
	"github.com/ispacct/ispacct/jobs/report"
	"github.com/ispacct/ispacct/jobs/run"
)

// The child process of TestKilledRunCountsWhatItCommitted: a daily chain
// on the database and configuration the parent names, until it is killed.
const (
	childDB     = "ISPACCT_TEST_KILLED_DB"
	childConfig = "ISPACCT_TEST_KILLED_CONFIG"
)

func TestKilledRunChild(t *testing.T) {
	if os.Getenv(childDB) == "" {
		t.Skip("the process TestKilledRunCountsWhatItCommitted starts and kills")
	}
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv(childDB))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(os.Getenv(childConfig))
	if err != nil {
		t.Fatal(err)
	}
	deps := run.Deps{Pool: pool, Cfg: cfg, Now: func() time.Time { return berlin(2026, 10, 28, 12, 0) }}
	run.Daily(ctx, deps, report.Day(berlin(2026, 10, 27, 0, 0), cfg.Loc))
}

// TestKilledRunCountsWhatItCommitted: a chain killed (SIGKILL) in the
// middle of its ingest is left in the ledger with exactly the rows it had
// committed, and the run after it with exactly the rest: the ledger, its
// sources and the metrics file add up to what the table holds.
func TestKilledRunCountsWhatItCommitted(t *testing.T) {
	e := newEnv(t, berlin(2026, 10, 27, 12, 0))
	metrics := filepath.Join(e.dir, "ispacct.prom")
	cfg, cfgPath := e.config(t, "ispacct.toml", fmt.Sprintf("[ingest]\nbatch_kb = 64\n[schedule]\nmetrics_file = %q\n", metrics))
	f, err := os.Create(filepath.Join(e.dir, "access.log.1"))
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	const n = 300000
	start := berlin(2026, 10, 27, 0, 0).Unix()
	for i := range n {
		fmt.Fprintf(w, "%d.000 5 10.4.24.%d TCP_MISS/200 %d GET http://x.example/%d - HIER_NONE/- text/html\n", start+int64(i/4), 2+i%250, 10000+i, i)
	}
	w.Flush()
	f.Close()
	ctx := context.Background()
	count := func(sql string) int64 {
		t.Helper()
		var v int64
		if err := e.db.Pool.QueryRow(ctx, sql).Scan(&v); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return v
	}

	child := exec.Command(os.Args[0], "-test.run=^TestKilledRunChild$", "-test.count=1")
	child.Env = append(os.Environ(), childDB+"="+e.db.ConnString, childConfig+"="+cfgPath)
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for count(`SELECT count(*) FROM proxy`) < 20000 {
		if time.Now().After(deadline) {
			child.Process.Kill()
			t.Fatal("the child run loaded nothing")
		}
		time.Sleep(2 * time.Millisecond)
	}
	child.Process.Kill()
	child.Wait()
	// Its session is gone once its advisory locks are.
	// This database's: other packages' tests share the server.
	deadline = time.Now().Add(2 * time.Minute)
	for count(`SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'
		AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`) > 0 {
		if time.Now().After(deadline) {
			t.Fatal("the killed run's locks were never released")
		}
		time.Sleep(5 * time.Millisecond)
	}
	// One statement, one snapshot: the child's last batch may still be
	// committing on a session of its own after the lock's session ended,
	// and the ledger must equal the table in any snapshot.
	var killed, ledger, sources int64
	if err := e.db.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM proxy), (SELECT rows FROM runs WHERE status = 'running'),
		(SELECT sum(rows) FROM run_sources)`).Scan(&killed, &ledger, &sources); err != nil {
		t.Fatal(err)
	}
	if killed >= n {
		t.Fatalf("the kill came after the ingest: %d rows", killed)
	}
	if ledger != killed {
		t.Fatalf("the killed run is in the ledger with %d rows; the table holds %d", ledger, killed)
	}
	if sources != killed {
		t.Fatalf("its source is in the ledger with %d rows; the table holds %d", sources, killed)
	}

	deps := run.Deps{Pool: e.db.Pool, Cfg: cfg, Log: e.log, Now: func() time.Time { return berlin(2026, 10, 28, 12, 0) }}
	res, err := run.Daily(ctx, deps, report.Day(berlin(2026, 10, 27, 0, 0), cfg.Loc))
	if err != nil {
		t.Fatal(err)
	}
	total := count(`SELECT count(*) FROM proxy`)
	if total != n+5 || res.Rows != total-killed {
		t.Fatalf("after the rerun: %d rows in the table (want %d), %d in the rerun (want %d)", total, n+5, res.Rows, total-killed)
	}
	if got := e.ledger(t); !equal(got, []string{"daily 2026-10-27 failed/ingest", "daily 2026-10-27 ok"}) {
		t.Fatalf("ledger: %q", got)
	}
	for _, q := range []string{`SELECT sum(rows) FROM runs`, `SELECT sum(rows) FROM run_sources`} {
		if got := count(q); got != total {
			t.Fatalf("%s: %d; the table holds %d", q, got, total)
		}
	}
	b, err := os.ReadFile(metrics)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		fmt.Sprintf("ispacct_run_rows{job=\"daily\"} %d\n", total-killed),
		fmt.Sprintf("ispacct_ingest_rows{job=\"daily\",source=\"squid\"} %d\n", total-killed),
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("metrics lack %q:\n%s", want, b)
		}
	}
}
