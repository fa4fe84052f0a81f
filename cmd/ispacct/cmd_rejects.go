package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/ispacct/ispacct/jobs/ingest"
	"github.com/ispacct/ispacct/jobs/report"
)

type rejectsOptions struct {
	from, to string
	limit    int
}

func newRejectsCommand() *command {
	var opts rejectsOptions
	return &command{
		name:    "rejects",
		args:    "--from DATE [--to DATE] [--limit N]",
		summary: "list rejected log lines with file, line and reason (reads only)",
		help: `Lists the lines ingest could not load, recorded between two local days:
the file, line number, byte offset, reason and the raw line (quoted).

Example:
  ispacct rejects --from 2026-11-20 --to 2026-11-21
  ispacct rejects --from 2026-11-21 --json --limit 0`,
		json: true,
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&opts.from, "from", "", "first day `DATE` the rejects were recorded (YYYY-MM-DD)")
			fs.StringVar(&opts.to, "to", "", "last day `DATE` (default: --from)")
			fs.IntVar(&opts.limit, "limit", 100, "show at most N rejects (0: all)")
		},
		run: func(ctx context.Context, a *app, args []string) error { return runRejects(ctx, a, opts, args) },
	}
}

func runRejects(ctx context.Context, a *app, opts rejectsOptions, args []string) error {
	if len(args) > 0 {
		return usagef("unexpected arguments %q", args)
	}
	f, t, err := dateRange(a, opts.from, opts.to)
	if err != nil {
		return err
	}
	if opts.limit < 0 {
		return usagef("--limit %d: must not be negative", opts.limit)
	}
	pool, err := a.db(ctx)
	if err != nil {
		return err
	}
	list, err := ingest.Rejects(ctx, pool, f, report.Day(t, a.cfg.Loc).End, opts.limit)
	if err != nil {
		return err
	}
	if a.jsonOut {
		return a.printJSON(list)
	}
	for _, r := range list {
		fmt.Fprintf(a.stdout, "%s:%d (offset %d): %s\n  %q\n", r.Path, r.Line, r.Offset, r.Reason, r.Raw)
	}
	fmt.Fprintf(a.stdout, "%s\n", plural(int64(len(list)), "reject"))
	return nil
}
