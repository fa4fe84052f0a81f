package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/ispacct/ispacct/jobs/deliver"
	"github.com/ispacct/ispacct/jobs/report"
	jobrun "github.com/ispacct/ispacct/jobs/run"
)

type runOptions struct {
	date, month          string
	force, wait, catchUp bool
}

func newRunCommand() *command {
	var opts runOptions
	return &command{
		name:    "run",
		args:    "daily [--date DATE | --catch-up] | monthly [--month YYYY-MM | --catch-up]",
		summary: "the whole chain for a day or a month: LAN names, ingest, rollup, archive, deliver",
		help: `Runs the chain the daemon runs, once, for one period: LAN names from
vlan.config (when the file exists), ingest of every configured source,
rollup of the days that received rows, the period's archive, and its
delivery. Without --date it runs yesterday, without --month last month, in
the configured time zone. With --catch-up it runs, oldest first, every
period that is due and has not finished, up to schedule.lookback_days
back, as the daemon does at each tick: what cron or a systemd timer
calls, so that nights missed while the box was off are made up.

Every run is recorded in the run ledger ('ispacct status' lists it). A
period that finished ok is not run again unless --force; a failed or
partly done one is. A failed run mails the administrator the error and
the command that runs it again. One chain runs at a time, on this host
or any other sharing the database.

Exit code 3 when the run is partly done (a file unreadable, rejects above
ingest.reject_threshold, the archive's mail waits in the outbox); 4 when
another chain runs (unless --wait).

Example:
  ispacct run daily
  ispacct run daily --date 2026-11-21 --force
  ispacct run monthly --month 2026-10
  ispacct run daily --catch-up --wait       # from a systemd timer or cron`,

		json: true,
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&opts.date, "date", "", "daily: the day `DATE` (YYYY-MM-DD; default yesterday)")
			fs.StringVar(&opts.month, "month", "", "monthly: the month `YYYY-MM` (default last month)")
			fs.BoolVar(&opts.force, "force", false, "run the period again although it finished ok before")
			fs.BoolVar(&opts.wait, "wait", false, "wait for a chain that runs instead of exiting with code 4")
			fs.BoolVar(&opts.catchUp, "catch-up", false, "run every due period that has not finished, oldest first")
		},
		run: func(ctx context.Context, a *app, args []string) error { return runRun(ctx, a, opts, args) },
	}
}

func runRun(ctx context.Context, a *app, opts runOptions, args []string) error {
	if len(args) != 1 || (args[0] != string(jobrun.JobDaily) && args[0] != string(jobrun.JobMonthly)) {
		return usagef("name the chain: daily or monthly")
	}
	job := jobrun.Job(args[0])
	now := time.Now()
	items, err := runItems(a, opts, job, now)
	if err != nil {
		return err
	}
	pool, err := a.db(ctx)
	if err != nil {
		if ctx.Err() == nil {
			// Nobody else would tell the administrator when a timer
			// runs this: the mail goes out without the database.
			period := jobrun.LatestDue(a.cfg, job, now).Name()
			if len(items) == 1 {
				period = items[0].Name
			}
			jobrun.Fail(ctx, jobrun.Deps{Cfg: a.cfg, Log: a.log}, job, period, jobrun.StepDatabase, err)
		}
		return err
	}
	deps := jobrun.Deps{Pool: pool, Cfg: a.cfg, Log: a.log, Force: opts.force, Wait: opts.wait, By: "command"}
	if isTerminal(a.stderr) && !a.jsonOut {
		deps.Progress = a.stderr
	}
	if opts.catchUp {
		all, err := jobrun.Backlog(ctx, pool, a.cfg, now)
		if err != nil {
			return err
		}
		for _, it := range all {
			if it.Job == job {
				items = append(items, it)
			}
		}
	}
	results, err := jobrun.CatchUp(ctx, deps, items)
	var re *jobrun.Error
	if err != nil && !errors.As(err, &re) {
		return err // another chain holds the lock, or nothing ran
	}
	if perr := a.printRuns(job, opts.catchUp, items, results); perr != nil {
		return perr
	}
	return runOutcome(results, err)
}

// runItems is the period the flags name, or none with --catch-up (the
// backlog decides).
func runItems(a *app, opts runOptions, job jobrun.Job, now time.Time) ([]jobrun.Item, error) {
	if opts.catchUp {
		if opts.date != "" || opts.month != "" || opts.force {
			return nil, usagef("--catch-up runs what is due; it takes no --date, --month or --force")
		}
		return nil, nil
	}
	p, err := runPeriod(a, job, opts.date, opts.month, now)
	if err != nil {
		return nil, err
	}
	if p.End.After(now) {
		// Its run would count as done, and the real one after the
		// period's end would then never come.
		return nil, usagef("%s has not ended yet (it ends %s); 'ispacct report' writes an archive of it so far",
			p.Name(), a.when(p.End))
	}
	return []jobrun.Item{{Job: job, Period: p, Name: p.Name()}}, nil
}

// printRuns prints the results, one object (or a list with --catch-up)
// as JSON.
func (a *app) printRuns(job jobrun.Job, catchUp bool, items []jobrun.Item, results []jobrun.Result) error {
	if a.jsonOut {
		if results == nil {
			results = []jobrun.Result{}
		}
		var v any = results
		if !catchUp {
			v = results[0]
		}
		return a.printJSON(v)
	}
	if catchUp && len(items) == 0 {
		fmt.Fprintf(a.stdout, "run %s: nothing due\n", job)
	}
	for _, r := range results {
		a.printRun(r)
	}
	return nil
}

// runOutcome turns the chains' results into the command's error: the
// last run's failure, an interruption, or what was left out.
func runOutcome(results []jobrun.Result, err error) error {
	var partial []string
	for _, r := range results {
		if r.Before == nil && r.Status == jobrun.StatusPartial {
			partial = append(partial, fmt.Sprintf("%s %s: %s", r.Job, r.Period, r.Error))
		}
	}
	switch {
	case err != nil && results[len(results)-1].Interrupted:
		return fmt.Errorf("%w (%v)", context.Canceled, err)
	case err != nil:
		return err
	case len(partial) > 0:
		return &partialError{strings.Join(partial, "; ")}
	}
	return nil
}

// runPeriod is the period --date or --month name, or the one before now.
func runPeriod(a *app, job jobrun.Job, date, month string, now time.Time) (report.Period, error) {
	loc := a.cfg.Loc
	if job == jobrun.JobDaily {
		if month != "" {
			return report.Period{}, usagef("--month is for 'run monthly'; the daily chain takes --date")
		}
		if date == "" {
			return report.Day(report.Day(now, loc).Start.AddDate(0, 0, -1), loc), nil
		}
		d, err := report.ParseDate(date, loc)
		if err != nil {
			return report.Period{}, usagef("--date: %v", err)
		}
		return report.Day(d, loc), nil
	}
	if date != "" {
		return report.Period{}, usagef("--date is for 'run daily'; the monthly chain takes --month")
	}
	if month == "" {
		return report.Month(report.Month(now, loc).Start.AddDate(0, -1, 0), loc), nil
	}
	m, err := time.ParseInLocation("2006-01", month, loc)
	if err != nil {
		return report.Period{}, usagef("--month %q: want YYYY-MM", month)
	}
	return report.Month(m, loc), nil
}

func (a *app) printRun(r jobrun.Result) {
	w := a.stdout
	name := fmt.Sprintf("run %s %s", r.Job, r.Period)
	if b := r.Before; b != nil {
		fmt.Fprintf(w, "%s: done before by run #%d (%s, finished %s); --force runs it again\n",
			name, b.ID, b.Status, a.when(*b.FinishedAt))
		return
	}
	head := fmt.Sprintf("%s: %s in %.2f s", name, r.Status, r.Seconds)
	if r.Status == jobrun.StatusFailed {
		head = fmt.Sprintf("%s: failed at %s after %.2f s", name, r.Step, r.Seconds)
	}
	if r.ID > 0 {
		head += fmt.Sprintf(" (run #%d)", r.ID)
	}
	fmt.Fprintln(w, head)
	skipped := func(step string) bool {
		why, ok := r.Skipped[step]
		if ok {
			fmt.Fprintf(w, "  %s: skipped: %s\n", step, why)
		}
		return ok
	}
	if l := r.Landefs; l != nil {
		fmt.Fprintf(w, "  landefs: %s from %s: %d added, %d updated, %d removed\n", plural(int64(l.LANs), "LAN"), l.File, l.Added, l.Updated, l.Removed)
	} else {
		skipped(jobrun.StepLandefs)
	}
	for _, in := range r.Ingest {
		fmt.Fprintf(w, "  ingest %s\n", ingestLine(in))
	}
	skipped(jobrun.StepIngest)
	if r.Rollup != nil {
		fmt.Fprintf(w, "  rollup: %s recomputed\n", plural(int64(len(r.Rollup.Recomputed)), "table-day"))
	}
	if ar := r.Archive; ar != nil {
		fmt.Fprintf(w, "  archive: %s  %d bytes  sha256 %s\n", ar.Path, ar.Bytes, ar.SHA256)
	}
	if d := r.Deliver; d != nil {
		waiting := 0
		for _, m := range d.Waiting {
			if m.Kind == deliver.KindArchive && m.Period == r.Period {
				waiting++
			}
		}
		fmt.Fprintf(w, "  deliver: %s of %s sent, %d waiting", plural(int64(r.Deliveries), "message"), r.Period, waiting)
		if other := len(d.Sent) - r.Deliveries; other > 0 {
			fmt.Fprintf(w, "; %s sent from the outbox", plural(int64(other), "earlier message"))
		}
		fmt.Fprintln(w)
	} else {
		skipped(jobrun.StepDeliver)
	}
	if rt := r.Retention; rt != nil {
		var agg int64
		for _, n := range rt.AggregateRows {
			agg += n
		}
		fmt.Fprintf(w, "  retention: %s and %s removed, %s\n", plural(int64(len(rt.Partitions)), "raw partition"), plural(rt.Rejects, "rejected line"), plural(agg, "aggregate row"))
	}
	for _, p := range r.Partial {
		fmt.Fprintf(w, "  left out: %s\n", p)
	}
	if r.Status == jobrun.StatusPartial && r.Notice != "" {
		fmt.Fprintf(w, "  notice of what was left out: %s\n", r.Notice)
	}
	if r.Status == jobrun.StatusFailed {
		fmt.Fprintf(w, "  error: %s\n", oneLine(r.Error))
		if r.Notice != "" {
			fmt.Fprintf(w, "  failure notice: %s\n", r.Notice)
		}
		if !r.Recorded {
			fmt.Fprintln(w, "  not recorded in the run ledger: the database did not answer")
		}
	}
}
