package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/ispacct/ispacct/config"
	"github.com/ispacct/ispacct/jobs/deliver"
	"github.com/ispacct/ispacct/jobs/report"
	jobrun "github.com/ispacct/ispacct/jobs/run"
)

// deliverOptions are deliver's and resend's flags.
type deliverOptions struct {
	periods periodArgs
	wait    bool
}

func (o *deliverOptions) bind(fs *flag.FlagSet, fromUsage string) {
	o.periods.bind(fs, fromUsage)
	fs.BoolVar(&o.wait, "wait", false, "wait for another delivery run instead of exiting with code 4")
}

func newDeliverCommand() *command {
	var opts deliverOptions
	return &command{
		name:    "deliver",
		args:    "[--from DATE [--to DATE] [--period day|month]]",
		summary: "mail the archives of a date range, and send what waits in the outbox",
		help: `Delivers each period's archive (building it when missing) to the
administrator: by SMTP to mail.to and into the dial-in Maildir, as
configured. Every message is written to <state_dir>/outbox before it is
sent. A period delivered before is not sent again ('ispacct resend' does
that). Messages that could not be sent earlier are retried when their wait
(mail.retry_min doubling up to mail.retry_max) is over; without --from,
only those are sent.

Exit code 3 when a message waits in the outbox afterwards (server down,
4xx, or refused for good: 'ispacct outbox' lists them); 4 when another
delivery runs (unless --wait); 2 when no delivery is configured.

Example:
  ispacct deliver --from 2026-11-21
  ispacct deliver --period month --from 2026-10-01
  ispacct deliver                # only retry what waits in the outbox`,
		json: true,
		flags: func(fs *flag.FlagSet) {
			opts.bind(fs, "first day `DATE` (YYYY-MM-DD); without it only the outbox is sent")
		},
		run: func(ctx context.Context, a *app, args []string) error { return runDeliver(ctx, a, opts, args, false) },
	}
}

// runDeliver delivers the periods the flags name (none: only what waits
// in the outbox); again sends them once more (resend).
func runDeliver(ctx context.Context, a *app, opts deliverOptions, args []string, again bool) error {
	if len(args) > 0 {
		return usagef("unexpected arguments %q", args)
	}
	var periods []report.Period
	if opts.periods.set() || again {
		var err error
		if periods, err = opts.periods.periods(a); err != nil {
			return err
		}
	}
	opt := deliver.FromConfig(a.cfg, a.log)
	opt.Wait = opts.wait
	if !a.cfg.Mail.Delivers() {
		return &config.Error{File: a.cfg.File, Key: "mail", Why: (&deliver.NotConfiguredError{}).Error()}
	}
	pool, err := a.db(ctx)
	if err != nil {
		return err
	}
	var res *deliver.Result
	if again {
		// Through the run ledger, as the web page's re-request.
		var r jobrun.Result
		r, err = jobrun.Resend(ctx, jobrun.Deps{Pool: pool, Cfg: a.cfg, Log: a.log, By: "command"}, periods, opt)
		res = r.Deliver
	} else {
		res, err = deliver.Run(ctx, pool, periods, opt)
	}
	if res != nil {
		if a.jsonOut {
			if perr := a.printJSON(res); perr != nil && err == nil {
				err = perr
			}
		} else {
			a.printDelivery(res)
		}
	}
	if err != nil {
		return err
	}
	var we *deliver.WaitingError
	if errors.As(res.Err(), &we) {
		return &partialError{we.Error()}
	}
	return nil
}

func (a *app) printDelivery(res *deliver.Result) {
	for _, ar := range res.Archives {
		how := "existing"
		if ar.Built {
			how = "built"
		}
		fmt.Fprintf(a.stdout, "%s  %d bytes  sha256 %s  (%s)\n", ar.Path, ar.Bytes, ar.SHA256, how)
		for _, d := range ar.Queued {
			what := "archive attached"
			switch {
			case d.Channel == deliver.ChannelSMTP && !d.Attached:
				what = "summary only: the archive is above mail.max_attach_mb"
			case d.Encrypted:
				what = "archive encrypted with age, attached"
			}
			fmt.Fprintf(a.stdout, "  queued #%d %-7s to %s (%s)\n", d.ID, d.Channel, d.Recipient, what)
		}
		for _, d := range ar.Known {
			switch d.Status {
			case deliver.StatusPending, deliver.StatusSending:
				fmt.Fprintf(a.stdout, "  #%d %-7s waits in the outbox since %s\n", d.ID, d.Channel, a.when(d.CreatedAt))
			case deliver.StatusSent:
				fmt.Fprintf(a.stdout, "  #%d %-7s sent %s; 'ispacct resend' sends it again\n", d.ID, d.Channel, a.when(*d.SentAt))
			default:
				fmt.Fprintf(a.stdout, "  #%d %-7s %s; 'ispacct resend' queues it again\n", d.ID, d.Channel, d.Status)
			}
		}
	}
	for _, d := range res.Sent {
		fmt.Fprintf(a.stdout, "sent #%d %s %s by %s to %s: %s\n", d.ID, d.Kind, d.Period, d.Channel, d.Recipient, oneLine(d.DeliveredAs))
	}
	for _, d := range res.Waiting {
		a.printWaiting(d)
	}
	fmt.Fprintf(a.stdout, "%d sent, %d waiting in the outbox\n", len(res.Sent), len(res.Waiting))
}

func (a *app) printWaiting(d deliver.Delivery) {
	next := "when resent ('ispacct resend')"
	if d.Status != deliver.StatusFailed {
		next = "next try " + a.when(d.NextAttempt)
	}
	fmt.Fprintf(a.stdout, "waiting #%d %s %s by %s to %s: %s after %s, %s\n  %s\n",
		d.ID, d.Kind, d.Period, d.Channel, d.Recipient, d.Status, plural(int64(d.Attempts), "attempt"), next, oneLine(d.LastError))
}

// when is a time in the configured zone.
func (a *app) when(t time.Time) string { return t.In(a.cfg.Loc).Format("2006-01-02 15:04:05 -07:00") }

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
