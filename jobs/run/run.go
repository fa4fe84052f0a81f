// Package run is the scheduler. A chain does the whole work of one period:
// LAN names from vlan.config, ingest of every configured source, rollup of
// the days that received rows, the period's archive and its delivery. Daily
// and Monthly run a chain; the CLI (`ispacct run`), the daemon and the
// tests call them alike.
//
// Every run is recorded in the runs table (the ledger) with its outcome.
// The daemon computes from it what is left to do (Backlog): every due
// period that has not finished, oldest first, so nights missed while the
// box was off are caught up, and a period that finished ok is never run
// twice. One chain runs at a time, on one host or several sharing the
// database (the "run" advisory lock).
package run

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ispacct/ispacct/config"
	"github.com/ispacct/ispacct/jobs/deliver"
	"github.com/ispacct/ispacct/jobs/ingest"
	"github.com/ispacct/ispacct/jobs/landefs"
	"github.com/ispacct/ispacct/jobs/maintain"
	"github.com/ispacct/ispacct/jobs/report"
	"github.com/ispacct/ispacct/jobs/rollup"
	"github.com/ispacct/ispacct/lock"
)

// Job is a chain: daily or monthly.
type Job string

// The jobs, in the order the daemon runs them when both are due at once.
const (
	JobDaily   Job = "daily"
	JobMonthly Job = "monthly"
)

// Jobs lists the jobs.
var Jobs = []Job{JobDaily, JobMonthly}

// Status is a run's outcome in the ledger.
type Status string

// Statuses.
const (
	StatusRunning Status = "running"
	StatusOK      Status = "ok"
	StatusPartial Status = "partial" // done, but see Run.Error: what was left out
	StatusFailed  Status = "failed"
)

// Finished reports whether the period needs no further run by the daemon:
// ok, or partly done (what is missing needs the administrator, or the
// outbox retries it by itself).
func (s Status) Finished() bool { return s == StatusOK || s == StatusPartial }

// The steps of a chain, as the ledger names them.
const (
	StepStart   = "start" // the lock and the ledger
	StepLandefs = "landefs"
	StepIngest  = "ingest"
	StepRollup  = "rollup"
	StepArchive = "archive"
	StepDeliver = "deliver"
	// StepRetention applies [retention], last, once the archive is out.
	StepRetention = "retention"
	// The daemon's own steps before any chain: reaching the database and
	// reading the ledger.
	StepDatabase = "database"
	StepLedger   = "ledger"
)

// LockName is the advisory lock a chain holds from start to end.
const LockName = "run"

// Deps is what a chain needs, and how it is asked to run.
type Deps struct {
	Pool *pgxpool.Pool
	Cfg  *config.Config
	Log  *slog.Logger
	// Now is the clock, time.Now when nil. "Yesterday", the daemon's slots
	// and the window of plausible log timestamps follow it.
	Now func() time.Time
	// Force runs a period again that finished ok before.
	Force bool
	// Wait for a chain that holds the lock instead of returning a
	// *lock.HeldError.
	Wait bool
	// By names who started the run in the ledger: "daemon" or "command".
	By string
	// Progress, when set (a terminal), gets ingest's progress lines.
	Progress io.Writer
}

func (d *Deps) init() {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.By == "" {
		d.By = "command"
	}
}

// Result is a run: its ledger row and what each step did.
type Result struct {
	Run
	// Partial says what was left out when Status is partial.
	Partial []string         `json:"partial,omitempty"`
	Landefs *LandefsResult   `json:"landefs,omitempty"`
	Ingest  []*ingest.Result `json:"ingest,omitempty"`
	Rollup  *rollup.Result   `json:"rollup,omitempty"`
	Archive *report.Result   `json:"archive,omitempty"`
	Deliver *deliver.Result  `json:"deliver,omitempty"`
	// Retention is what the configured limits removed; nil without limits.
	Retention *maintain.Plan    `json:"retention,omitempty"`
	Skipped   map[string]string `json:"skipped,omitempty"` // step: why it did nothing
	Before    *Run              `json:"done_before,omitempty"`
	Notice    string            `json:"failure_notice,omitempty"` // where the failure or partial-run notice went
	// Recorded is false when the ledger could not take the outcome (the
	// database was down); the daemon records it later.
	Recorded bool `json:"recorded"`
	// Interrupted: a stop request (SIGTERM, Ctrl-C) ended the run.
	Interrupted bool `json:"interrupted,omitempty"`
}

// LandefsResult is what the landefs step did.
type LandefsResult struct {
	File    string `json:"file"`
	LANs    int    `json:"lans"`
	Added   int    `json:"added"`
	Updated int    `json:"updated"`
	Removed int    `json:"removed"`
	// Kept are prefixes added by hand that vlan.config names otherwise.
	Kept []landefs.Change `json:"kept,omitempty"`
}

// Daily runs the daily chain for a day.
func Daily(ctx context.Context, deps Deps, day report.Period) (Result, error) {
	if day.Kind != "day" {
		return Result{}, fmt.Errorf("daily run: %s is not a day", day.Name())
	}
	return chain(ctx, deps, JobDaily, day)
}

// Monthly runs the monthly chain for a month.
func Monthly(ctx context.Context, deps Deps, month report.Period) (Result, error) {
	if month.Kind != "month" {
		return Result{}, fmt.Errorf("monthly run: %s is not a month", month.Name())
	}
	return chain(ctx, deps, JobMonthly, month)
}

// Chain runs job's chain for p: Daily or Monthly by name.
func Chain(ctx context.Context, deps Deps, job Job, p report.Period) (Result, error) {
	if job == JobMonthly {
		return Monthly(ctx, deps, p)
	}
	return Daily(ctx, deps, p)
}

// Error is a failed run: the job, the period, the step and why.
type Error struct {
	Job    Job
	Period string
	Step   string
	Err    error
}

func (e *Error) Error() string {
	return fmt.Sprintf("run %s %s: %s: %v", e.Job, e.Period, e.Step, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// chain runs the steps under the lock and records the outcome.
//
// A cancelled ctx is a stop request: no further step starts, and the
// running one may finish within schedule.grace before its own context is
// cancelled (an ingest batch then rolls back; committed ones stay).
func chain(ctx context.Context, deps Deps, job Job, p report.Period) (Result, error) {
	deps.init()
	host, _ := os.Hostname()
	res := Result{Run: Run{Job: job, Period: p.Name(), Status: StatusRunning, Forced: deps.Force, By: deps.By,
		StartedAt: time.Now(), Host: host, PID: os.Getpid()}}
	log := deps.Log.With("job", job, "period", p.Name())

	l, err := lock.Acquire(ctx, deps.Pool, LockName, deps.Wait)
	if err != nil {
		var held *lock.HeldError
		if errors.As(err, &held) || ctx.Err() != nil {
			return res, err // nothing ran, nothing to record
		}
		return fail(ctx, deps, &res, StepStart, err)
	}
	defer l.Release()
	id, before, err := begin(ctx, deps.Pool, &res.Run)
	if err != nil {
		return fail(ctx, deps, &res, StepStart, err)
	}
	if before != nil {
		log.Info("run skipped: the period finished before", "run", before.ID, "status", before.Status, "finished_at", before.FinishedAt)
		res.Before, res.Status, res.Recorded = before, before.Status, true
		return res, nil
	}
	res.ID = id
	log = log.With("run", id)
	log.Info("run started", "by", deps.By, "forced", deps.Force)

	// The jobs the steps call log their own period, source and file.
	c := &chainRun{deps: deps, p: p, res: &res, log: log, jobLog: deps.Log.With("run", id)}
	steps := []struct {
		name string
		do   func(context.Context) error
	}{
		{StepLandefs, c.landefs},
		{StepIngest, c.ingest},
		{StepRollup, c.rollup},
		{StepArchive, c.archive},
		{StepDeliver, c.deliver},
		{StepRetention, c.retention},
	}
	stepCtx, done := withGrace(ctx, deps.Cfg.Schedule.Grace)
	defer done()
	for _, s := range steps {
		if ctx.Err() != nil {
			return fail(ctx, deps, &res, s.name, fmt.Errorf("not started: %w", context.Cause(ctx)))
		}
		if err := setStep(ctx, deps.Pool, id, s.name); err != nil {
			log.Warn("ledger: step not recorded", "step", s.name, "error", err)
		}
		t0 := time.Now()
		err := s.do(stepCtx)
		if err == nil && stepCtx.Err() != nil {
			// A step may end early without an error when cancelled (ingest
			// stops between batches); what it did is committed, the rest
			// is for the next run.
			err = context.Cause(stepCtx)
		}
		if err != nil {
			return fail(ctx, deps, &res, s.name, err)
		}
		log.Debug("step done", "step", s.name, "seconds", time.Since(t0).Seconds())
	}
	res.Status = StatusOK
	if len(res.Partial) > 0 {
		res.Status = StatusPartial
		res.Error = strings.Join(res.Partial, "; ")
	}
	res.FinishedAt = ptr(time.Now())
	res.Seconds = res.FinishedAt.Sub(res.StartedAt).Seconds()
	record(ctx, deps, &res, log)
	if len(c.attention) > 0 {
		notifyPartial(ctx, deps, &res, c.attention)
	}
	args := []any{"status", res.Status, "seconds", round(res.Seconds), "rows", res.Rows, "rejects", res.Rejects, "deliveries", res.Deliveries}
	if res.Error != "" {
		args = append(args, "left_out", res.Error)
	}
	log.Info("run finished", args...)
	return res, nil
}

// fail ends a run at step with err: it records it, and, unless a stop
// request ended it, mails the administrator.
func fail(ctx context.Context, deps Deps, res *Result, step string, err error) (Result, error) {
	res.Status, res.Step = StatusFailed, step
	res.FinishedAt = ptr(time.Now())
	res.Seconds = res.FinishedAt.Sub(res.StartedAt).Seconds()
	res.Interrupted = ctx.Err() != nil
	if res.Interrupted {
		res.Error = fmt.Sprintf("interrupted by a stop request: %v", err)
	} else {
		res.Error = err.Error()
	}
	log := deps.Log.With("job", res.Job, "period", res.Period, "run", res.ID)
	record(ctx, deps, res, log)
	log.Error("run failed", "step", step, "error", res.Error, "interrupted", res.Interrupted, "recorded", res.Recorded)
	if !res.Interrupted {
		notify(ctx, deps, res)
	}
	return *res, &Error{Job: res.Job, Period: res.Period, Step: step, Err: err}
}

// record writes the outcome into the ledger on a context of its own, so
// that a stop request does not keep the ledger from saying what happened.
func record(ctx context.Context, deps Deps, res *Result, log *slog.Logger) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	if err := Record(rctx, deps.Pool, res); err != nil {
		log.Error("ledger: outcome not recorded", "status", res.Status, "error", err)
		return
	}
	if path := deps.Cfg.Schedule.MetricsFile; path != "" {
		if err := WriteMetrics(rctx, deps.Pool, deps.Cfg, deps.Now(), path); err != nil {
			log.Warn("metrics not written", "file", path, "error", err)
		}
	}
}

// withGrace returns a context that ends when a stop request (parent
// ending) is grace old, less a reserve for rolling back and recording
// (a fifth of grace, at most 10 s), so that the process is gone within
// grace; or when the returned func is called.
func withGrace(parent context.Context, grace time.Duration) (context.Context, func()) {
	budget := grace - min(grace/5, 10*time.Second)
	ctx, cancel := context.WithCancelCause(context.WithoutCancel(parent))
	go func() {
		select {
		case <-parent.Done():
		case <-ctx.Done():
			return
		}
		t := time.NewTimer(budget)
		defer t.Stop()
		select {
		case <-t.C:
			cancel(fmt.Errorf("stop requested and the step did not finish within the grace time of %s: %w", grace, context.Canceled))
		case <-ctx.Done():
		}
	}()
	return ctx, func() { cancel(nil) }
}

func ptr[T any](v T) *T { return &v }

func round(f float64) float64 { return float64(int64(f*1000+0.5)) / 1000 }
