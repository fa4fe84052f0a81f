package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	jobrun "github.com/ispacct/ispacct/jobs/run"
)

func newStatusCommand() *command {
	limit := 5
	return &command{
		name:    "status",
		args:    "[--limit N] [--json]",
		summary: "the last runs of the daily and monthly chains, what is due, and when they run next",
		help: `Lists, per chain (daily, monthly), the last runs from the run ledger with
their duration, rows loaded, rejected lines, messages delivered and
errors; the periods that are due and not finished, which the daemon's
next tick runs first; those missed (never run and now beyond
schedule.lookback_days, as after a long power cut), to run by hand; and
the next scheduled run (schedule.daily, schedule.monthly in the
configured time zone).

Example:
  ispacct status
  ispacct status --limit 30 --json`,
		json:  true,
		flags: func(fs *flag.FlagSet) { fs.IntVar(&limit, "limit", limit, "runs listed per chain") },
		run:   func(ctx context.Context, a *app, args []string) error { return runStatus(ctx, a, limit, args) },
	}
}

func runStatus(ctx context.Context, a *app, limit int, args []string) error {
	if len(args) > 0 {
		return usagef("unexpected arguments %q", args)
	}
	if limit < 1 {
		return usagef("--limit %d: must be at least 1", limit)
	}
	pool, err := a.db(ctx)
	if err != nil {
		return err
	}
	jobs, err := jobrun.Overview(ctx, pool, a.cfg, time.Now(), limit)
	if err != nil {
		return err
	}
	if a.jsonOut {
		return a.printJSON(jobs)
	}
	for i, js := range jobs {
		if i > 0 {
			fmt.Fprintln(a.stdout)
		}
		a.printJobStatus(js)
	}
	return nil
}

func (a *app) printJobStatus(js jobrun.JobStatus) {
	w := a.stdout
	last := "never"
	if s := js.LastSuccess; s != nil {
		last = fmt.Sprintf("%s (run #%d, %s, finished %s)", s.Period, s.ID, s.Status, a.when(*s.FinishedAt))
	}
	fmt.Fprintf(w, "%s: last finished %s\n", js.Job, last)
	fmt.Fprintf(w, "  next run %s for %s\n", a.when(js.NextRun), js.NextPeriod)
	if len(js.Backlog) == 0 {
		fmt.Fprintln(w, "  due: nothing")
	} else {
		names := make([]string, len(js.Backlog))
		for i, it := range js.Backlog {
			names[i] = it.Name
		}
		fmt.Fprintf(w, "  due: %s (the next tick runs them, oldest first)\n", strings.Join(names, ", "))
	}
	if m := js.Missed; len(m) > 0 {
		span := m[0]
		if len(m) > 1 {
			span += " … " + m[len(m)-1]
		}
		fmt.Fprintf(w, "  missed: %s (%d never run, now beyond schedule.lookback_days: the daemon leaves them); '%s' runs one\n",
			span, len(m), jobrun.Command(a.cfg, js.Job, m[0]))
	}
	if len(js.Runs) == 0 {
		fmt.Fprintln(w, "  no runs yet")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  RUN\tPERIOD\tSTATUS\tSTARTED\tSECONDS\tROWS\tREJECTS\tDELIVERIES\tBY")
	for _, r := range js.Runs {
		status := string(r.Status)
		if r.Forced {
			status += " (forced)"
		}
		secs := "-"
		if r.FinishedAt != nil {
			secs = fmt.Sprintf("%.2f", r.Seconds)
		}
		fmt.Fprintf(tw, "  #%d\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%s\n", r.ID, r.Period, status, a.when(r.StartedAt),
			secs, r.Rows, r.Rejects, r.Deliveries, r.By)
	}
	tw.Flush()
	for _, r := range js.Runs {
		switch {
		case r.Status == jobrun.StatusRunning:
			fmt.Fprintf(w, "  #%d running: step %s, on %s (PID %d)\n", r.ID, r.Step, r.Host, r.PID)
		case r.Status == jobrun.StatusFailed:
			fmt.Fprintf(w, "  #%d failed at %s: %s\n", r.ID, r.Step, oneLine(r.Error))
		case r.Error != "":
			fmt.Fprintf(w, "  #%d partly done: %s\n", r.ID, oneLine(r.Error))
		}
	}
}
