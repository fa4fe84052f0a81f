package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/ispacct/ispacct/jobs/deliver"
)

type outboxOptions struct {
	all   bool
	limit int
}

func newOutboxCommand() *command {
	var opts outboxOptions
	return &command{
		name:    "outbox",
		args:    "[--all [--limit N]]",
		summary: "list the messages waiting to be delivered (reads only)",
		help: `Lists what waits in the outbox: messages that could not be sent yet
(retried by the next 'ispacct deliver' after their wait) and messages
refused for good (5xx; sent again only by 'ispacct resend'), with the
attempts, the next try and the last error. --all lists every message
recorded, newest first.

Example:
  ispacct outbox
  ispacct outbox --all --limit 20 --json`,
		json: true,
		flags: func(fs *flag.FlagSet) {
			fs.BoolVar(&opts.all, "all", false, "list every message recorded, delivered ones too, newest first")
			fs.IntVar(&opts.limit, "limit", 50, "with --all: at most N messages (0: all)")
		},
		run: func(ctx context.Context, a *app, args []string) error { return runOutbox(ctx, a, opts, args) },
	}
}

func runOutbox(ctx context.Context, a *app, opts outboxOptions, args []string) error {
	all, limit := opts.all, opts.limit
	if len(args) > 0 {
		return usagef("unexpected arguments %q", args)
	}
	if limit < 0 {
		return usagef("--limit %d: must not be negative", limit)
	}
	pool, err := a.db(ctx)
	if err != nil {
		return err
	}
	var list []deliver.Delivery
	if all {
		list, err = deliver.History(ctx, pool, limit)
	} else {
		list, err = deliver.Waiting(ctx, pool)
	}
	if err != nil {
		return err
	}
	if a.jsonOut {
		if list == nil {
			list = []deliver.Delivery{}
		}
		return a.printJSON(list)
	}
	for _, d := range list {
		switch d.Status {
		case deliver.StatusSent:
			fmt.Fprintf(a.stdout, "sent #%d %s %s by %s to %s at %s (%s): %s\n", d.ID, d.Kind, d.Period,
				d.Channel, d.Recipient, a.when(*d.SentAt), plural(int64(d.Attempts), "attempt"), oneLine(d.DeliveredAs))
		case deliver.StatusSuperseded:
			fmt.Fprintf(a.stdout, "superseded #%d %s %s by %s to %s: %s\n", d.ID, d.Kind, d.Period, d.Channel, d.Recipient, oneLine(d.LastError))
		default:
			a.printWaiting(d)
			fmt.Fprintf(a.stdout, "  message %s (%d bytes, Message-ID <%s>)\n", d.EMLPath, d.EMLBytes, d.MessageID)
		}
	}
	if all {
		fmt.Fprintf(a.stdout, "%s recorded\n", plural(int64(len(list)), "message"))
	} else {
		fmt.Fprintf(a.stdout, "%s waiting\n", plural(int64(len(list)), "message"))
	}
	return nil
}
