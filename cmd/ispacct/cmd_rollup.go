package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/ispacct/ispacct/jobs/rollup"
)

type rollupOptions struct{ from, to string }

func newRollupCommand() *command {
	var opts rollupOptions
	return &command{
		name:    "rollup",
		args:    "[--from DATE --to DATE]",
		summary: "recompute the per-day aggregates (LANs, sites, vhosts, mailboxes)",
		help: `Recomputes the aggregates of every day ingest added rows to since its last
rollup, or, with --from/--to, of every day in the range. A day is replaced
whole in one transaction from that day's rows only, so a rerun changes
nothing and a late file makes its day right. Days whose raw rows are past
retention keep their aggregates as they are.

Example:
  ispacct rollup
  ispacct rollup --from 2026-11-01 --to 2026-11-30`,
		json: true,
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&opts.from, "from", "", "first day `DATE` (YYYY-MM-DD)")
			fs.StringVar(&opts.to, "to", "", "last day `DATE` (default: --from)")
		},
		run: func(ctx context.Context, a *app, args []string) error { return runRollup(ctx, a, opts, args) },
	}
}

func runRollup(ctx context.Context, a *app, opts rollupOptions, args []string) error {
	if len(args) > 0 {
		return usagef("unexpected arguments %q", args)
	}
	var f, t time.Time
	if opts.from != "" || opts.to != "" {
		var err error
		if f, t, err = dateRange(a, opts.from, opts.to); err != nil {
			return err
		}
	}
	pool, err := a.db(ctx)
	if err != nil {
		return err
	}
	res, err := rollup.Run(ctx, pool, f, t, rollup.FromConfig(a.cfg, a.log))
	if err != nil {
		return err
	}
	if a.jsonOut {
		return a.printJSON(res)
	}
	fmt.Fprintf(a.stdout, "rollup: %s recomputed in %.2f s\n", plural(int64(len(res.Recomputed)), "table-day"), res.Seconds)
	for _, d := range res.Recomputed {
		fmt.Fprintf(a.stdout, "  %s %s\n", d.Day, d.Table)
	}
	return nil
}
