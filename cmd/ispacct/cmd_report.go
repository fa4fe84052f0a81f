package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/ispacct/ispacct/jobs/report"
)

type reportOptions struct {
	periods periodArgs
	out     string // output folder; "" is report.out_dir
}

func newReportCommand() *command {
	var opts reportOptions
	return &command{
		name:    "report",
		args:    "--from DATE [--to DATE] [--period day|month] [--out DIR]",
		summary: "write the archives of a date range: .asc files and the workbook (reads only)",
		help: `Writes one archive per period in the range: acct-YYYY-MM-DD.zip for days,
acct-YYYY-MM.zip for months, holding proxy.asc, http.asc and mail.asc and
the workbook acct-<period>.xlsx (summaries per LAN, site, vhost and
mailbox with charts; the raw rows too unless report.raw_sheets is false).
Monthly archives leave the raw .asc files out unless
report.monthly_raw_asc is set. Files are written atomically; the same data
always gives the same bytes, the same as 'ispacct run' writes. Dates are
YYYY-MM-DD, local days of the configured time zone. A period that has
not begun is refused; one without any row is written with a warning.

Example:
  ispacct report --from 2026-11-01 --to 2026-11-21 --out /srv/archive
  ispacct report --period month --from 2026-10-01 --json`,
		json: true,
		flags: func(fs *flag.FlagSet) {
			opts.periods.bind(fs, "first day `DATE` (YYYY-MM-DD)")
			fs.StringVar(&opts.out, "out", "", "output `folder` (default: report.out_dir)")
		},
		run: func(ctx context.Context, a *app, args []string) error { return runReport(ctx, a, opts, args) },
	}
}

func runReport(ctx context.Context, a *app, opts reportOptions, args []string) error {
	if len(args) > 0 {
		return usagef("unexpected arguments %q", args)
	}
	periods, err := opts.periods.periods(a)
	if err != nil {
		return err
	}
	if p, ok := report.NotBegun(periods, time.Now()); ok {
		return usagef("%s has not begun yet: there is nothing to report", p.Name())
	}
	if opts.out != "" {
		// A typo must not grow a tree of folders somewhere: the folder
		// may be new, its parent must exist.
		if _, err := os.Stat(filepath.Dir(filepath.Clean(opts.out))); err != nil {
			return usagef("--out %s: its parent folder does not exist", opts.out)
		}
		// Absolute, so the archives' paths printed name them anywhere.
		if opts.out, err = filepath.Abs(opts.out); err != nil {
			return usagef("--out %s: %v", opts.out, err)
		}
	}
	pool, err := a.db(ctx)
	if err != nil {
		return err
	}
	ropt := report.FromConfig(a.cfg, opts.out, a.log)
	var results []*report.Result
	for _, p := range periods {
		res, err := report.Build(ctx, pool, p, ropt)
		if err != nil {
			return err
		}
		results = append(results, res)
		if res.Empty {
			a.log.Warn("no rows at all in the period: the archive is empty; is it the right period, and was ingest run?", "period", p.Name())
		}
		if !a.jsonOut {
			fmt.Fprintf(a.stdout, "%s  %d bytes  sha256 %s\n  proxy.asc %s, http.asc %s, mail.asc %s, %s\n",
				res.Path, res.Bytes, res.SHA256, plural(res.Rows["proxy.asc"], "row"), plural(res.Rows["http.asc"], "row"), plural(res.Rows["mail.asc"], "row"), report.WorkbookName(p))
		}
	}
	if a.jsonOut {
		return a.printJSON(results)
	}
	return nil
}
