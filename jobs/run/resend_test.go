package run_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/ispacct/ispacct/jobs/deliver"
	"github.com/ispacct/ispacct/jobs/report"
	"github.com/ispacct/ispacct/jobs/run"
	"github.com/ispacct/ispacct/lock"
)

// TestResendInLedger: a re-request lands in the ledger as job resend with
// who asked for it, and does not count as the night's run.
func TestResendInLedger(t *testing.T) {
	e := newEnv(t, berlin(2026, 10, 28, 12, 0))
	md := filepath.Join(e.dir, "Maildir")
	cfg, _ := e.config(t, "ispacct.toml", fmt.Sprintf("[mail]\nmaildir = %q\n", md))
	now := func() time.Time { return berlin(2026, 10, 29, 12, 0) }
	deps := run.Deps{Pool: e.db.Pool, Cfg: cfg, Log: e.log, Now: now}
	day := report.Day(berlin(2026, 10, 27, 0, 0), cfg.Loc)
	if _, err := run.Daily(context.Background(), deps, day); err != nil {
		t.Fatal(err)
	}
	deps.By = "web:admin"
	opt := deliver.FromConfig(cfg, e.log)
	opt.Channels = []string{deliver.ChannelMaildir}
	for range 2 { // twice: a period may be re-requested again and again
		res, err := run.Resend(context.Background(), deps, []report.Period{day}, opt)
		if err != nil || res.Status != run.StatusOK || res.Deliveries != 1 || !res.Recorded {
			t.Fatalf("resend: %v %+v", err, res.Run)
		}
	}
	if got := e.ledger(t); !equal(got, []string{"daily 2026-10-27 ok", "resend 2026-10-27 ok", "resend 2026-10-27 ok"}) {
		t.Fatalf("ledger: %q", got)
	}
	runs, err := run.Runs(context.Background(), e.db.Pool, run.JobResend, 5)
	if err != nil || len(runs) != 2 || runs[0].By != "web:admin" {
		t.Fatalf("resend runs: %v %+v", err, runs)
	}
	items, err := run.Backlog(context.Background(), e.db.Pool, cfg, now())
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if it.Job == run.JobResend {
			t.Fatalf("a re-request is not in the backlog: %+v", it)
		}
	}
}

// TestResendWhileDelivering: a re-request while another delivery holds its
// lock says so and leaves no failed run in the ledger: nothing ran.
func TestResendWhileDelivering(t *testing.T) {
	e := newEnv(t, berlin(2026, 10, 28, 12, 0))
	cfg, _ := e.config(t, "ispacct.toml", fmt.Sprintf("[mail]\nmaildir = %q\n", filepath.Join(e.dir, "Maildir")))
	deps := run.Deps{Pool: e.db.Pool, Cfg: cfg, Log: e.log, Now: func() time.Time { return berlin(2026, 10, 29, 12, 0) }, By: "web:admin"}
	l, err := lock.Acquire(context.Background(), e.db.Pool, deliver.LockName, false)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	opt := deliver.FromConfig(cfg, e.log)
	opt.Channels = []string{deliver.ChannelMaildir}
	var held *lock.HeldError
	if _, err := run.Resend(context.Background(), deps, []report.Period{report.Day(berlin(2026, 10, 27, 0, 0), cfg.Loc)}, opt); !errors.As(err, &held) {
		t.Fatalf("a re-request beside a delivery: %v, want the delivery's lock named", err)
	}
	if got := e.ledger(t); len(got) != 0 {
		t.Fatalf("ledger: %q, want nothing", got)
	}
}
