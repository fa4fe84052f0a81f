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

func init() {
	var (
		from, to, format, vhost string
		sources                 multiFlag
	)
	register(&command{
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
		setup: func(fs *flag.FlagSet, a *app) {
			fs.StringVar(&from, "from", "", "first day `DATE` (YYYY-MM-DD)")
			fs.StringVar(&to, "to", "", "last day `DATE`")
			fs.Var(&sources, "source", "read only this configured source (repeatable)")
			fs.StringVar(&format, "format", "", "read the FILEs named on the command line in this format")
			fs.StringVar(&vhost, "vhost", "", "with --format for per-virtual-host Apache logs: the vhost of the FILEs")
		},
		run: func(ctx context.Context, a *app, args []string) error {
			if to == "" {
				return usagef("--to is required")
			}
			f, t, err := dateRange(a, from, to)
			if err != nil {
				return err
			}
			srcs, err := ingestSources(a.cfg, sources, format, vhost, args)
			if err != nil {
				return err
			}
			return runBackfill(ctx, a, srcs, f, t)
		},
	})
}

func runBackfill(ctx context.Context, a *app, srcs []ingest.Source, from, to time.Time) error {
	pool, err := a.db(ctx)
	if err != nil {
		return err
	}
	end := report.Day(to, a.cfg.Loc).End
	opt := ingest.Options{Loc: a.cfg.Loc, NotBefore: from, NotAfter: end, Outside: true,
		BatchBytes: a.cfg.Ingest.BatchKB << 10, Log: a.log}
	var partial []string
	for _, s := range srcs {
		res, err := ingest.Run(ctx, pool, s, opt)
		if err != nil {
			return fmt.Errorf("backfill source %s, database %s: %w", s.Name, a.server, err)
		}
		printIngest(a, res)
		fmt.Fprintf(a.stdout, "  left out (outside %s..%s): %d rows\n", from.Format("2006-01-02"), to.Format("2006-01-02"), res.Outside)
		// Rejects of old logs are listed, not a reason to call it partly done.
		partial = append(partial, ingest.LeftOut(s, res, 1)...)
	}
	ru, err := rollup.Run(ctx, pool, from, to, rollupOptions(a))
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "rollup: %d table-day(s) recomputed\n", len(ru.Recomputed))
	for _, kind := range []string{"day", "month"} {
		periods, err := report.Periods(kind, from, to, a.cfg.Loc)
		if err != nil {
			return err
		}
		for _, p := range periods {
			res, err := report.Build(ctx, pool, p, report.FromConfig(a.cfg, "", a.log))
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "%s  sha256 %s\n", res.Path, res.SHA256)
		}
	}
	if len(partial) > 0 {
		return &partialError{strings.Join(partial, "; ")}
	}
	return nil
}
