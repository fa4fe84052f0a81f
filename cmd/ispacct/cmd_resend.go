package main

import (
	"context"
	"flag"
)

func init() {
	var pa periodArgs
	var wait bool
	register(&command{
		name:    "resend",
		args:    "--from DATE [--to DATE] [--period day|month]",
		summary: "deliver the archives of a date range again",
		help: `Rebuilds each period's archive from the database (rows may have arrived
since) and delivers it again by every configured channel, through the
outbox like 'ispacct deliver'. An unchanged archive goes out under the
Message-ID of its first mail, so it is recognisable as the same. A
message still waiting in the outbox is not doubled; one refused for good
(5xx) is replaced by the new one.

Exit codes as for 'ispacct deliver'.

Example:
  ispacct resend --from 2026-11-01 --to 2026-11-21
  ispacct resend --period month --from 2026-10-01`,
		setup: func(fs *flag.FlagSet, a *app) {
			jsonFlag(fs, a)
			pa.bind(fs, "first day `DATE` (YYYY-MM-DD)")
			fs.BoolVar(&wait, "wait", false, "wait for another delivery run instead of exiting with code 4")
		},
		run: func(ctx context.Context, a *app, args []string) error {
			if len(args) > 0 {
				return usagef("unexpected arguments %q", args)
			}
			periods, err := pa.periods(a)
			if err != nil {
				return err
			}
			return runDeliver(ctx, a, periods, wait, true)
		},
	})
}
