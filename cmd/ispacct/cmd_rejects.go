package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/ispacct/ispacct/jobs/ingest"
	"github.com/ispacct/ispacct/jobs/report"
)

func init() {
	var from, to string
	var limit int
	register(&command{
		name:    "rejects",
		args:    "--from DATE [--to DATE] [--limit N]",
		summary: "list rejected log lines with file, line and reason (reads only)",
		help: `Lists the lines ingest could not load, recorded between two local days:
the file, line number, byte offset, reason and the raw line (quoted).

Example:
  ispacct rejects --from 2026-11-20 --to 2026-11-21
  ispacct rejects --from 2026-11-21 --json --limit 0`,
		setup: func(fs *flag.FlagSet, a *app) {
			jsonFlag(fs, a)
			fs.StringVar(&from, "from", "", "first day `DATE` the rejects were recorded (YYYY-MM-DD)")
			fs.StringVar(&to, "to", "", "last day `DATE` (default: --from)")
			fs.IntVar(&limit, "limit", 100, "show at most N rejects (0: all)")
		},
		run: func(ctx context.Context, a *app, args []string) error {
			f, t, err := dateRange(a, from, to)
			if err != nil {
				return err
			}
			if limit < 0 {
				return usagef("--limit %d: must not be negative", limit)
			}
			pool, err := a.db(ctx)
			if err != nil {
				return err
			}
			list, err := ingest.Rejects(ctx, pool, f, report.Day(t, a.cfg.Loc).End, limit)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(list)
			}
			for _, r := range list {
				fmt.Fprintf(a.stdout, "%s:%d (offset %d): %s\n  %q\n", r.Path, r.Line, r.Offset, r.Reason, r.Raw)
			}
			fmt.Fprintf(a.stdout, "%d rejects\n", len(list))
			return nil
		},
	})
}
