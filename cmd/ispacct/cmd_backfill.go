package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/ispacct/ispacct/jobs/ingest"
	"github.com/ispacct/ispacct/jobs/report"
	"github.com/ispacct/ispacct/jobs/rollup"
)

type backfillOptions struct {
	sourceArgs
	from, to string
}

func newBackfillCommand() *command {
	var opts backfillOptions
	return &command{
		name:    "backfill",
		args:    "--from DATE --to DATE [--source NAME]... | [--format FORMAT FILE...]",
		summary: "load older logs for a date range, recompute its aggregates and archives",
		help: `Ingests older log files (for example from an archive folder) for the days
--from to --to, recomputes the aggregates of every day in the range and
rebuilds the range's daily and monthly archives. Rows of those files that
fall outside the range are left out and counted. Each line is still loaded
at most once, so a backfill is safe to repeat. Without files or --source
it reads the configured sources.

Example:
  ispacct backfill --from 2026-10-01 --to 2026-10-31 --format squid /srv/logarchive/access.log-202610*.gz`,
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&opts.from, "from", "", "first day `DATE` (YYYY-MM-DD)")
			fs.StringVar(&opts.to, "to", "", "last day `DATE`")
			opts.bind(fs, "read")
		},
		run: func(ctx context.Context, a *app, args []string) error { return runBackfill(ctx, a, opts, args) },
	}
}

func runBackfill(ctx context.Context, a *app, opts backfillOptions, args []string) error {
	if opts.to == "" {
		return usagef("--to is required")
	}
	from, to, err := dateRange(a, opts.from, opts.to)
	if err != nil {
		return err
	}
	srcs, err := opts.resolve(a.cfg, args)
	if err != nil {
		return err
	}
	pool, err := a.db(ctx)
	if err != nil {
		return err
	}
	opt := ingest.FromConfig(a.cfg, time.Now(), a.log).Backfill(from, report.Day(to, a.cfg.Loc).End)
	var partial []string
	for _, s := range srcs {
		res, err := ingest.Run(ctx, pool, s, opt)
		if err != nil {
			return fmt.Errorf("backfill source %s, database %s: %w", s.Name, a.server, err)
		}
		printIngest(a, res)
		fmt.Fprintf(a.stdout, "  left out (outside %s..%s): %s\n", from.Format("2006-01-02"), to.Format("2006-01-02"), plural(res.Outside, "row"))
		partial = append(partial, ingest.LeftOut(s, res, opt.RejectThreshold)...)
	}
	// Every day of the range is recomputed. Those the files gave rows
	// are rolled up by their daily archives, which read the rows anyway
	// (report.Options.Rollup, as in the daily chain); the rest of the
	// range first. Then every other day still waiting: the monthly
	// archives cover days outside the range.
	ropt := rollup.FromConfig(a.cfg, a.log)
	repopt := report.FromConfig(a.cfg, "", a.log)
	days, err := report.Periods("day", from, to, a.cfg.Loc)
	if err != nil {
		return err
	}
	if ropt.Leave, err = rollup.DirtyIn(ctx, pool, from, days[len(days)-1].End); err != nil {
		return err
	}
	ru, err := rollup.Run(ctx, pool, from, to, ropt)
	if err != nil {
		return err
	}
	recomputed := len(ru.Recomputed)
	dayOpt := repopt
	dayOpt.Rollup = &ropt // Leave is Run's alone
	for _, p := range days {
		res, err := report.Build(ctx, pool, p, dayOpt)
		if err != nil {
			return err
		}
		recomputed += len(res.RolledUp)
		fmt.Fprintf(a.stdout, "%s  sha256 %s\n", res.Path, res.SHA256)
	}
	all := ropt
	all.Leave = nil
	rest, err := rollup.Run(ctx, pool, time.Time{}, time.Time{}, all)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "rollup: %s recomputed\n", plural(int64(recomputed+len(rest.Recomputed)), "table-day"))
	months, err := report.Periods("month", from, to, a.cfg.Loc)
	if err != nil {
		return err
	}
	for _, p := range months {
		res, err := report.Build(ctx, pool, p, repopt)
		if err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "%s  sha256 %s\n", res.Path, res.SHA256)
	}
	if len(partial) > 0 {
		return &partialError{strings.Join(partial, "; ")}
	}
	return nil
}
