package run_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ispacct/ispacct/jobs/report"
	"github.com/ispacct/ispacct/jobs/run"
	"github.com/ispacct/ispacct/mailer/mailtest"
)

// TestStopLetsTheStepFinish: a stop request while ingest runs lets it
// finish within the grace time (every line is loaded), starts no further
// step, records the run as interrupted and mails nobody.
func TestStopLetsTheStepFinish(t *testing.T) {
	e := newEnv(t, berlin(2026, 10, 27, 12, 0))
	md := filepath.Join(e.dir, "Maildir")
	cfg, _ := e.config(t, "ispacct.toml", fmt.Sprintf("[ingest]\nbatch_kb = 256\n[mail]\nmaildir = %q\n[schedule]\ngrace = \"30s\"\n", md))
	f, err := os.Create(filepath.Join(e.dir, "access.log.1"))
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	const n = 150000
	start := berlin(2026, 10, 26, 0, 0).Unix()
	for i := range n {
		fmt.Fprintf(w, "%d.000 5 10.4.24.%d TCP_MISS/200 %d GET http://x.example/%d - HIER_NONE/- text/html\n", start+int64(i/4), 2+i%250, 10000+i, i)
	}
	w.Flush()
	f.Close()

	ctx, stop := context.WithCancel(context.Background())
	go func() {
		// Stop once the first batch is in.
		for ctx.Err() == nil {
			var rows int64
			e.db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM proxy`).Scan(&rows)
			if rows > 0 {
				stop()
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	deps := run.Deps{Pool: e.db.Pool, Cfg: cfg, Log: e.log, Now: func() time.Time { return berlin(2026, 10, 28, 12, 0) }}
	res, err := run.Daily(ctx, deps, report.Day(berlin(2026, 10, 27, 0, 0), cfg.Loc))
	stop()
	if err == nil || !res.Interrupted || res.Step != run.StepRollup || !strings.Contains(res.Error, "interrupted by a stop request") {
		t.Fatalf("want the run interrupted before rollup: %v %+v", err, res.Run)
	}
	var rows int64
	e.db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM proxy`).Scan(&rows)
	if rows != n+5 || res.Rows != n+5 {
		t.Fatalf("the ingest under way must finish: %d rows in the table, %d in the result, want %d", rows, res.Rows, n+5)
	}
	if got := e.ledger(t); !equal(got, []string{"daily 2026-10-27 failed/rollup"}) {
		t.Fatalf("ledger: %q", got)
	}
	if _, err := os.Stat(md); !os.IsNotExist(err) {
		t.Errorf("a stop is no failure to mail: %v", err)
	}
}

// TestPartialRunNotice: a run that finishes but leaves out a file it
// cannot read mails the administrator what was left out and the command
// that runs it again; one whose archive only waits in the outbox (which
// retries it by itself) mails nothing more.
func TestPartialRunNotice(t *testing.T) {
	e := newEnv(t, berlin(2026, 10, 28, 12, 0))
	md := filepath.Join(e.dir, "Maildir")
	cfg, _ := e.config(t, "ispacct.toml", fmt.Sprintf("[mail]\nmaildir = %q\n", md))
	damaged := filepath.Join(e.dir, "access.log.2.gz")
	if err := os.WriteFile(damaged, []byte("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03broken"), 0o644); err != nil {
		t.Fatal(err)
	}
	deps := run.Deps{Pool: e.db.Pool, Cfg: cfg, Log: e.log, Now: func() time.Time { return berlin(2026, 10, 29, 12, 0) }}
	day := report.Day(berlin(2026, 10, 28, 0, 0), cfg.Loc)
	res, err := run.Daily(context.Background(), deps, day)
	if err != nil || res.Status != run.StatusPartial || res.Notice == "" {
		t.Fatalf("want a partial run with a notice: %v %+v", err, res.Run)
	}
	msgs, _ := filepath.Glob(filepath.Join(md, "new", "*"))
	var notice string
	for _, m := range msgs {
		b, _ := os.ReadFile(m)
		if strings.Contains(string(b), "PARTLY DONE: run daily 2026-10-28") {
			notice = strings.NewReplacer("=\r\n", "", "=\n", "").Replace(string(b))
		}
	}
	if len(msgs) != 2 || !strings.Contains(notice, damaged+" not read from offset") ||
		!strings.Contains(notice, "ispacct run daily --date 2026-10-28 --config") || !strings.Contains(notice, " --force") {
		t.Fatalf("%d message(s); the notice:\n%s", len(msgs), notice)
	}
	t.Logf("notice:\n%s", notice)
	os.Remove(damaged)

	// The mail server refuses: the archive waits, the run is partial, and
	// no notice is queued beside it.
	cfg, _ = e.config(t, "smtp.toml", "[mail]\nto = [\"admin@isp.example\"]\nfrom = \"ispacct@isp.example\"\n"+
		"[mail.smtp]\nhost = \"127.0.0.1\"\nport = 1\nsecurity = \"none\"\ntimeout = \"2s\"\n")
	deps.Cfg = cfg
	res, err = run.Daily(context.Background(), deps, report.Day(berlin(2026, 10, 27, 0, 0), cfg.Loc))
	if err != nil || res.Status != run.StatusPartial || res.Notice != "" {
		t.Fatalf("want a partial run without a notice: %v %+v notice %q", err, res.Run, res.Notice)
	}
	var notices int
	e.db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM deliveries WHERE kind = 'failure'`).Scan(&notices)
	if notices != 1 {
		t.Fatalf("%d notices in the outbox, want only the first run's", notices)
	}
}

// TestRetentionInChain: with [retention] set, the chain applies it last,
// after the period's archive is built: raw partitions older than the
// limit go, the period's own rows stay in its archive.
func TestRetentionInChain(t *testing.T) {
	e := newEnv(t, berlin(2026, 10, 28, 12, 0))
	cfg, _ := e.config(t, "ispacct.toml", fmt.Sprintf("[report]\nout_dir = %q\n[retention]\nraw_days = 1\n", filepath.Join(e.dir, "out")))
	deps := run.Deps{Pool: e.db.Pool, Cfg: cfg, Log: e.log, Now: func() time.Time { return berlin(2026, 10, 29, 12, 0) }}
	res, err := run.Daily(context.Background(), deps, report.Day(berlin(2026, 10, 28, 0, 0), cfg.Loc))
	if err != nil || res.Status != run.StatusOK || res.Retention == nil {
		t.Fatalf("run: %v %+v", err, res.Run)
	}
	if got := strings.Join(res.Retention.Partitions, " "); got != "proxy_p20261027" {
		t.Fatalf("retention dropped %q, want proxy_p20261027", got)
	}
	var left []string
	rows, _ := e.db.Pool.Query(context.Background(), `SELECT tablename FROM pg_tables WHERE tablename LIKE 'proxy_p%' ORDER BY 1`)
	for rows.Next() {
		var n string
		rows.Scan(&n)
		left = append(left, n)
	}
	rows.Close()
	if strings.Join(left, " ") != "proxy_p20261028" || res.Archive == nil || res.Archive.Rows["proxy.asc"] != 5 {
		t.Fatalf("partitions left %q; archive %+v", left, res.Archive)
	}
}

// TestRefusedArchiveNotice: an archive the mail server refuses for good
// (5xx) is not retried by the outbox, so the run says how to send it again
// and a notice is queued; a message that only waits sends none (above).
func TestRefusedArchiveNotice(t *testing.T) {
	e := newEnv(t, berlin(2026, 10, 28, 12, 0))
	pf := mailtest.StartPostfix(t, mailtest.PostfixOptions{})
	mail := strings.Replace(smtpMail(pf), fmt.Sprintf("to = [%q]", mailtest.Admin), fmt.Sprintf("to = [%q]", mailtest.Reject), 1)
	cfg, _ := e.config(t, "ispacct.toml", mail)
	deps := run.Deps{Pool: e.db.Pool, Cfg: cfg, Log: e.log, Now: func() time.Time { return berlin(2026, 10, 29, 12, 0) }}
	res, err := run.Daily(context.Background(), deps, report.Day(berlin(2026, 10, 28, 0, 0), cfg.Loc))
	if err != nil || res.Status != run.StatusPartial || len(res.Partial) != 1 ||
		!strings.Contains(res.Partial[0], "was refused") || !strings.Contains(res.Partial[0], "'ispacct resend --from 2026-10-28 --config ") {
		t.Fatalf("run: %v %+v %q", err, res.Run, res.Partial)
	}
	var subject string
	e.db.Pool.QueryRow(context.Background(), `SELECT subject FROM deliveries WHERE kind = 'failure'`).Scan(&subject)
	if !strings.Contains(subject, "PARTLY DONE: run daily 2026-10-28") || res.Notice == "" {
		t.Fatalf("notice %q (%q)", subject, res.Notice)
	}
}

// TestMissedBeyondLookback: after a box was off for longer than the
// look-back, the days between its last finished day and the look-back are
// listed as missed (the daemon will not run them); none before the first
// run, and none once they are run by hand.
func TestMissedBeyondLookback(t *testing.T) {
	e := newEnv(t, berlin(2026, 10, 27, 12, 0))
	cfg, _ := e.config(t, "ispacct.toml", "")
	now := berlin(2026, 10, 20, 12, 0) // lookback_days 7: due from 2026-10-13
	names := func() string {
		m, err := run.Missed(context.Background(), e.db.Pool, cfg, run.JobDaily, now)
		if err != nil {
			t.Fatal(err)
		}
		var s []string
		for _, p := range m {
			s = append(s, p.Name())
		}
		return strings.Join(s, " ")
	}
	if got := names(); got != "" {
		t.Fatalf("an empty ledger missed %q", got)
	}
	e.seed(t, run.JobDaily, "2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04", "2026-10-05")
	if got := names(); got != "2026-10-06 2026-10-07 2026-10-08 2026-10-09 2026-10-10 2026-10-11 2026-10-12" {
		t.Fatalf("missed %q", got)
	}
	e.seed(t, run.JobDaily, "2026-10-12", "2026-10-08")
	if got := names(); got != "2026-10-06 2026-10-07 2026-10-09 2026-10-10 2026-10-11" {
		t.Fatalf("after two of them ran by hand, missed %q", got)
	}
}
