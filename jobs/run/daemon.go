package run

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-co-op/gocron/v2"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jonboulle/clockwork"

	"github.com/ispacct/ispacct/config"
	"github.com/ispacct/ispacct/jobs/deliver"
	"github.com/ispacct/ispacct/lock"
)

// DaemonOptions configure a Daemon.
type DaemonOptions struct {
	Config *config.Config
	Log    *slog.Logger
	// Open returns the database, connecting (and starting the private
	// cluster) when needed. It is called at every tick, so a database that
	// was down is used again once it is back.
	Open func(ctx context.Context) (*pgxpool.Pool, error)
	// Reload reads the configuration again (SIGHUP); nil: no reload.
	Reload func() (*config.Config, error)
	// Clock drives the schedule; the real clock when nil.
	Clock clockwork.Clock
	// OnTick, when set, is called after every tick with what it did.
	OnTick func(Tick)
}

// Tick is what one tick of the daemon did.
type Tick struct {
	Reason string    // the schedule entry whose time came: daily or monthly
	At     time.Time // the clock at the tick
	Runs   []Result  // the chains it ran, in order
	Err    error     // it could not reach the database or read the ledger
	// Skipped: another daemon on the same database held the tick.
	Skipped bool
}

// Daemon runs the chains at the configured times (gocron, in the
// configured time zone) and, at start and at every tick, every period
// that is due and has not finished (Backlog), oldest first.
type Daemon struct {
	opt   DaemonOptions
	log   *slog.Logger
	clock clockwork.Clock

	cfg  atomic.Pointer[config.Config]
	pool atomic.Pointer[pgxpool.Pool]

	mu      sync.Mutex  // one tick at a time in this process; guards pending
	pending []Result    // outcomes the ledger could not take yet (database down)
	ticking atomic.Bool // a tick holds mu (else the outbox flush does)
	again   atomic.Bool // a tick came while one ran: look at the backlog once more

	jobs map[string]gocron.Job
}

// NewDaemon returns a daemon; Run starts it.
func NewDaemon(opt DaemonOptions) *Daemon {
	if opt.Clock == nil {
		opt.Clock = clockwork.NewRealClock()
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	d := &Daemon{opt: opt, log: opt.Log, clock: opt.Clock, jobs: map[string]gocron.Job{}}
	d.cfg.Store(opt.Config)
	return d
}

// Run schedules the chains and runs them until ctx ends; hup asks it to
// reload the configuration. It returns nil after a clean stop: once ctx
// ends no new step starts, and a running one may finish within
// schedule.grace or is cancelled (its open transaction rolls back).
func (d *Daemon) Run(ctx context.Context, hup <-chan os.Signal) error {
	cfg := d.cfg.Load()
	s, err := gocron.NewScheduler(
		gocron.WithLocation(cfg.Loc),
		gocron.WithClock(d.clock),
		gocron.WithDistributedLocker(Locker{Pool: d.pool.Load, Log: d.log}),
		// The stop is bounded below, by the grace time in force then (a
		// reload may change it); gocron's own bound must not cut it short.
		gocron.WithStopTimeout(24*time.Hour),
	)
	if err != nil {
		return fmt.Errorf("scheduler: %w", err)
	}
	if err := d.schedule(ctx, s, cfg, true); err != nil {
		return err
	}
	s.Start()
	d.logSchedule("daemon started", cfg)
	for {
		select {
		case <-ctx.Done():
			d.log.Info("stopping: no new runs; a running step may finish", "grace", cfg.Schedule.Grace)
			// A tick ends within grace (the chain sees to that); the rest
			// covers recording its outcome.
			sctx, cancel := context.WithTimeout(context.Background(), cfg.Schedule.Grace+time.Minute)
			err := s.ShutdownWithContext(sctx)
			cancel()
			if err != nil {
				return fmt.Errorf("stop scheduler: %w", err)
			}
			d.log.Info("daemon stopped")
			return nil
		case <-hup:
			cfg = d.reload(ctx, s)
		}
	}
}

// schedule adds the daemon's entries to s, or changes them after a reload.
func (d *Daemon) schedule(ctx context.Context, s gocron.Scheduler, cfg *config.Config, first bool) error {
	at := func(t config.TimeOfDay) gocron.AtTimes {
		return gocron.NewAtTimes(gocron.NewAtTime(uint(t.Hour), uint(t.Minute), 0))
	}
	entries := []struct {
		name string
		def  gocron.JobDefinition
		task func()
		opts []gocron.JobOption
	}{
		// The daily entry also runs at start: the catch-up after a stop.
		{"daily", gocron.DailyJob(1, at(cfg.Schedule.DailyAt)), func() { d.tick(ctx, "daily") }, nil},
		{"monthly", gocron.MonthlyJob(1, gocron.NewDaysOfTheMonth(1), at(cfg.Schedule.MonthlyAt)), func() { d.tick(ctx, "monthly") }, nil},
		{"outbox", gocron.DurationJob(outboxEvery(cfg)), func() { d.flushOutbox(ctx) },
			[]gocron.JobOption{gocron.WithDisabledDistributedJobLocker(true)}},
	}
	for _, e := range entries {
		opts := append([]gocron.JobOption{gocron.WithName(e.name), gocron.WithSingletonMode(gocron.LimitModeWait),
			gocron.WithEventListeners(gocron.AfterLockError(d.skipped))}, e.opts...)
		if first && e.name == "daily" {
			opts = append(opts, gocron.WithStartAt(gocron.WithStartImmediately()))
		}
		var j gocron.Job
		var err error
		if old, ok := d.jobs[e.name]; ok {
			j, err = s.Update(old.ID(), e.def, gocron.NewTask(e.task), opts...)
		} else {
			j, err = s.NewJob(e.def, gocron.NewTask(e.task), opts...)
		}
		if err != nil {
			return fmt.Errorf("schedule %s: %w", e.name, err)
		}
		d.jobs[e.name] = j
	}
	return nil
}

// outboxEvery is how often the outbox is tried between ticks: as often as
// its shortest wait allows (1 to 15 minutes), so that a mail server that
// was down for a minute does not hold the archive back to the next night.
// Config is the configuration in force: the one read at start, or at the
// last SIGHUP.
func (d *Daemon) Config() *config.Config { return d.cfg.Load() }

func outboxEvery(cfg *config.Config) time.Duration {
	return min(max(cfg.Mail.RetryMin, time.Minute), 15*time.Minute)
}

func (d *Daemon) logSchedule(msg string, cfg *config.Config) {
	now := d.clock.Now()
	nd, pd := Next(cfg, JobDaily, now)
	nm, pm := Next(cfg, JobMonthly, now)
	d.log.Info(msg, "timezone", cfg.Loc.String(), "daily", cfg.Schedule.DailyAt, "monthly", cfg.Schedule.MonthlyAt,
		"next_daily", nd.Format(time.RFC3339), "next_daily_period", pd.Name(),
		"next_monthly", nm.Format(time.RFC3339), "next_monthly_period", pm.Name(),
		"lookback_days", cfg.Schedule.LookbackDays, "grace", cfg.Schedule.Grace)
}

// skipped is told by gocron that another daemon holds the tick's lock.
func (d *Daemon) skipped(_ uuid.UUID, name string, err error) {
	d.log.Info("tick skipped: another daemon runs it", "tick", name, "holder", err)
	if d.opt.OnTick != nil {
		d.opt.OnTick(Tick{Reason: name, At: d.clock.Now(), Skipped: true, Err: err})
	}
}

// reload reads the configuration again and reschedules. The database, its
// time zone and the state folder stay as the process started with them.
func (d *Daemon) reload(ctx context.Context, s gocron.Scheduler) *config.Config {
	old := d.cfg.Load()
	if d.opt.Reload == nil {
		return old
	}
	cfg, err := d.opt.Reload()
	if err != nil {
		d.log.Error("configuration not reloaded; the old one stays", "error", err)
		return old
	}
	if cfg.Database.URL != old.Database.URL || cfg.Loc.String() != old.Loc.String() || cfg.StateDir != old.StateDir {
		d.log.Warn("changes to database.url, timezone and state_dir take effect at the next start")
		cfg.Database, cfg.Timezone, cfg.Loc, cfg.StateDir = old.Database, old.Timezone, old.Loc, old.StateDir
	}
	// The web page's listener was started with these: its cookies and
	// headers must keep saying what it serves (a Secure cookie over plain
	// HTTP would never come back).
	if w, o := cfg.Web, old.Web; w.Listen != o.Listen || w.Cert != o.Cert || w.Key != o.Key || w.SessionHours != o.SessionHours {
		d.log.Warn("changes to web.listen, web.cert, web.key and web.session_hours take effect at the next start")
		cfg.Web.Listen, cfg.Web.Cert, cfg.Web.Key, cfg.Web.SessionHours = o.Listen, o.Cert, o.Key, o.SessionHours
	}
	d.cfg.Store(cfg)
	if cfg.Schedule.DailyAt != old.Schedule.DailyAt || cfg.Schedule.MonthlyAt != old.Schedule.MonthlyAt ||
		outboxEvery(cfg) != outboxEvery(old) {
		if err := d.schedule(ctx, s, cfg, false); err != nil {
			d.log.Error("schedule not changed", "error", err)
		}
	}
	d.logSchedule("configuration reloaded", cfg)
	return cfg
}

// tick runs the backlog: every due period that has not finished, oldest
// first (CatchUp). A tick that comes while another runs in this process
// does not wait for it (it would hold a database connection the running
// one may need): it asks the running one for one more pass, which picks
// up what fell due meanwhile.
func (d *Daemon) tick(ctx context.Context, why string) {
	t := Tick{Reason: why}
	ran := false
	// A tick asking between the last pass and the unlock is answered by
	// one more round after it.
	for ctx.Err() == nil && (!ran || d.again.Load()) {
		if !d.lockTick(ctx) {
			d.again.Store(true)
			d.log.Debug("tick joins the one under way", "tick", why)
			break
		}
		ran = true
		d.again.Store(false)
		d.ticking.Store(true)
		for pass := true; pass && ctx.Err() == nil && t.Err == nil; pass = d.again.Swap(false) {
			t.At = d.clock.Now()
			runs, err := d.pass(ctx, why, t.At)
			t.Runs, t.Err = append(t.Runs, runs...), err
		}
		d.ticking.Store(false)
		d.mu.Unlock()
		if t.Err != nil {
			break
		}
	}
	if ran && d.opt.OnTick != nil {
		d.opt.OnTick(t)
	}
}

// lockTick takes the lock for a tick. It waits while the outbox is being
// flushed, which is brief, but not for another tick: false then.
func (d *Daemon) lockTick(ctx context.Context) bool {
	for !d.mu.TryLock() {
		if d.ticking.Load() {
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(20 * time.Millisecond):
		}
	}
	return true
}

// pass is one look at the backlog and the runs it calls for.
func (d *Daemon) pass(ctx context.Context, why string, now time.Time) ([]Result, error) {
	cfg := d.cfg.Load()
	log := d.log.With("tick", why)
	pool, err := d.opt.Open(ctx)
	if err != nil {
		d.tickFailed(ctx, cfg, nil, StepDatabase, err, now)
		return nil, err
	}
	d.pool.Store(pool)
	d.recordPending(ctx, pool)
	items, err := Backlog(ctx, pool, cfg, now)
	if err != nil {
		d.tickFailed(ctx, cfg, pool, StepLedger, err, now)
		return nil, err
	}
	if len(items) == 0 {
		log.Info("nothing due")
	}
	for _, job := range Jobs {
		if m, err := Missed(ctx, pool, cfg, job, now); err == nil && len(m) > 0 {
			log.Warn("periods missed: never run, and beyond schedule.lookback_days the daemon leaves them", "job", job,
				"first", m[0].Name(), "last", m[len(m)-1].Name(), "count", len(m), "command", Command(cfg, job, m[0].Name()))
		}
	}
	deps := Deps{Pool: pool, Cfg: cfg, Log: d.log, Now: d.clock.Now, Wait: true, By: "daemon"}
	runs, _ := CatchUp(ctx, deps, items)
	for _, res := range runs {
		if !res.Recorded && res.Status != StatusRunning {
			d.pending = append(d.pending, res)
		}
	}
	if path := cfg.Schedule.MetricsFile; path != "" && len(runs) == 0 {
		// The chains wrote it after each run; a pass with nothing to do
		// still refreshes the backlog figures.
		mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
		defer cancel()
		if err := WriteMetrics(mctx, pool, cfg, d.clock.Now(), path); err != nil {
			log.Warn("metrics not written", "file", path, "error", err)
		}
	}
	return runs, nil
}

// tickFailed reports a tick that could not even look at its backlog. The
// failure is put on the latest daily period, which the next tick runs
// again; it is recorded once the ledger can take it.
func (d *Daemon) tickFailed(ctx context.Context, cfg *config.Config, pool *pgxpool.Pool, step string, err error, now time.Time) {
	if ctx.Err() != nil {
		return // stopping: the database call was cancelled, nothing failed
	}
	p := LatestDue(cfg, JobDaily, now).Name()
	d.log.Error("tick failed", "step", step, "error", err, "job", JobDaily, "period", p)
	res := Fail(ctx, Deps{Pool: pool, Cfg: cfg, Log: d.log, By: "daemon"}, JobDaily, p, step, err)
	if !res.Recorded {
		d.pending = append(d.pending, res)
	}
}

// recordPending writes the outcomes the ledger could not take before.
func (d *Daemon) recordPending(ctx context.Context, pool *pgxpool.Pool) {
	var keep []Result
	for i := range d.pending {
		r := &d.pending[i]
		if err := Record(ctx, pool, r); err != nil {
			d.log.Warn("earlier outcome still not recorded", "job", r.Job, "period", r.Period, "error", err)
			keep = append(keep, *r)
			continue
		}
		d.log.Info("earlier outcome recorded", "job", r.Job, "period", r.Period, "status", r.Status, "step", r.Step, "run", r.ID)
	}
	d.pending = keep
}

// flushOutbox sends what is due in the outbox between ticks. A tick under
// way delivers anyway, so it is skipped then.
func (d *Daemon) flushOutbox(ctx context.Context) {
	if !d.mu.TryLock() {
		return
	}
	defer d.mu.Unlock()
	cfg, pool := d.cfg.Load(), d.pool.Load()
	if pool == nil || !cfg.Mail.Delivers() {
		return
	}
	waiting, err := deliver.Waiting(ctx, pool)
	if err != nil || len(waiting) == 0 {
		return
	}
	res, err := deliver.Flush(ctx, pool, deliver.FromConfig(cfg, d.log))
	var held *lock.HeldError
	switch {
	case errors.As(err, &held):
	case err != nil:
		d.log.Warn("outbox not flushed", "error", err)
	case len(res.Sent) > 0:
		d.log.Info("outbox flushed", "sent", len(res.Sent), "waiting", len(res.Waiting))
	}
}
