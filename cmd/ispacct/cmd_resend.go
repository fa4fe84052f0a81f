package main

import (
	"context"
	"flag"
)

func newResendCommand() *command {
	var opts deliverOptions
	return &command{
		name:    "resend",
		args:    "--from DATE [--to DATE] [--period day|month]",
		summary: "deliver the archives of a date range again",
		help: `Rebuilds each period's archive from the database (rows may have arrived
since) and delivers it again by every configured channel, through the
outbox like 'ispacct deliver'. An unchanged archive goes out under the
Message-ID of its first mail, so it is recognisable as the same. A
message still waiting in the outbox is not doubled; one refused for good
(5xx) is replaced by the new one. The re-request is recorded in the run
ledger (job resend, started by command; the web page's Overview lists
it).

Exit codes as for 'ispacct deliver'.

Example:
  ispacct resend --from 2026-11-01 --to 2026-11-21
  ispacct resend --period month --from 2026-10-01`,
		json:  true,
		flags: func(fs *flag.FlagSet) { opts.bind(fs, "first day `DATE` (YYYY-MM-DD)") },
		run:   func(ctx context.Context, a *app, args []string) error { return runDeliver(ctx, a, opts, args, true) },
	}
}
