package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ispacct/ispacct/config"
	jobrun "github.com/ispacct/ispacct/jobs/run"
	"github.com/ispacct/ispacct/web"
)

func newDaemonCommand() *command {
	return &command{
		name:    "daemon",
		args:    "",
		summary: "run the daily and monthly chains on schedule, and catch up what was missed",
		help: `Runs until stopped: the daily chain ('ispacct run daily') every night at
schedule.daily for yesterday, the monthly chain on the 1st at
schedule.monthly for last month, in the configured time zone. At start and
at every one of those times it first runs every period that is due and has
not finished (the box was off, a run failed), oldest first, up to
schedule.lookback_days back. A period that finished is never run twice,
even with several daemons on one database. Between runs it retries what
waits in the outbox.

With web.listen set it also serves the administrator's web page there
('ispacct web -h').

SIGTERM or SIGINT: no new run starts; a running step may finish for
schedule.grace, then it is cancelled (its open batch rolls back), and the
daemon exits 0. SIGHUP reads the configuration again and reschedules.
Logs go to stderr, one line per event ('ispacct status' shows the runs).

Example:
  ispacct daemon --config /etc/ispacct/ispacct.toml`,
		run: runDaemon,
	}
}

func runDaemon(ctx context.Context, a *app, args []string) error {
	if len(args) > 0 {
		return usagef("unexpected arguments %q", args)
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	d := jobrun.NewDaemon(jobrun.DaemonOptions{
		Config: a.cfg,
		Log:    a.log,
		Open:   a.reopen,
		Reload: func() (*config.Config, error) { return config.Load(a.configPath) },
	})
	if addr := a.cfg.Web.Listen; addr != "" {
		// The page needs the database; if it is down now, the daemon
		// still runs (its ticks wait for the database) without the page.
		if pool, err := a.db(ctx); err != nil {
			a.log.Error("web page not started: no database", "error", err)
		} else {
			go func() {
				if err := web.Serve(ctx, addr, web.Options{Config: a.cfg, Current: d.Config, Pool: pool, Log: a.log}); err != nil {
					a.log.Error("web page stopped", "error", err)
				}
			}()
		}
	}
	return d.Run(ctx, hup)
}

// reopen is the database for the daemon's next tick: opened on first use,
// and, if it is the private cluster, started again should it have stopped.
func (a *app) reopen(ctx context.Context) (*pgxpool.Pool, error) {
	if a.pool == nil {
		return a.db(ctx)
	}
	if _, err := a.target(ctx); err != nil {
		return nil, err
	}
	return a.pool, nil
}
