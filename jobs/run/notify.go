package run

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/ispacct/ispacct/config"
	"github.com/ispacct/ispacct/jobs/deliver"
	"github.com/ispacct/ispacct/jobs/report"
)

// Command is the command line that runs job for period again.
func Command(cfg *config.Config, job Job, period string) string {
	cmd := "ispacct run daily --date " + period
	if job == JobMonthly {
		cmd = "ispacct run monthly --month " + period
	}
	return cmd + cfg.Flag()
}

// ResendCommand is the command line that sends the archive of p again.
func ResendCommand(cfg *config.Config, p report.Period) string {
	cmd := "ispacct resend --from " + p.Start.Format("2006-01-02")
	if p.Kind == "month" {
		cmd = "ispacct resend --period month --from " + p.Start.Format("2006-01-02")
	}
	return cmd + cfg.Flag()
}

// notify mails the administrator that res failed, with the command that
// runs it again.
func notify(ctx context.Context, deps Deps, res *Result) {
	mailNotice(ctx, deps, res, deliver.Failure{
		Err:     fmt.Errorf("step %s: %s", res.Step, res.Error),
		Command: Command(deps.Cfg, res.Job, res.Period),
	})
}

// notifyPartial mails the administrator what a run that finished left
// out: the period counts as done and is not run again by itself, so a
// damaged file or a log in a format ispacct no longer reads would
// otherwise go unseen.
func notifyPartial(ctx context.Context, deps Deps, res *Result, leftOut []string) {
	mailNotice(ctx, deps, res, deliver.Failure{
		Err:     errors.New(strings.Join(leftOut, "\n")),
		Command: Command(deps.Cfg, res.Job, res.Period) + " --force",
		Partial: true,
	})
}

// mailNotice sends f about res: through the outbox when the database
// answers (so a mail server that is down delays it, never loses it), else
// straight to the mail server or the Maildir.
func mailNotice(ctx context.Context, deps Deps, res *Result, f deliver.Failure) {
	cfg := deps.Cfg
	log := deps.Log.With("job", res.Job, "period", res.Period)
	if !cfg.Mail.Delivers() {
		log.Warn("notice not mailed: no delivery configured (mail.smtp.host or mail.maildir)", "partial", f.Partial)
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	f.Job = fmt.Sprintf("run %s %s", res.Job, res.Period)
	f.At = res.StartedAt
	if res.FinishedAt != nil {
		f.At = *res.FinishedAt
	}
	opt := deliver.FromConfig(cfg, deps.Log) // it names the job itself
	err := errors.New("no database")
	if deps.Pool != nil {
		var d *deliver.Delivery
		if d, err = deliver.NotifyFailure(ctx, deps.Pool, opt, f); err == nil {
			res.Notice = fmt.Sprintf("outbox #%d (%s)", d.ID, d.Status)
			return
		}
	}
	log.Warn("notice cannot go through the outbox; sending it directly", "error", err, "partial", f.Partial)
	where, err := deliver.NotifyFailureDirect(ctx, opt, f)
	if err != nil {
		log.Error("notice lost: neither the outbox nor the mail server took it", "error", err, "partial", f.Partial)
		return
	}
	res.Notice = where
}

// Fail reports a run of job for period that failed before its chain could
// start (the database cannot be reached, the ledger cannot be read): it
// mails the administrator (directly when there is no database to hold the
// outbox) and records the failure if the database takes it.
func Fail(ctx context.Context, deps Deps, job Job, period, step string, err error) Result {
	deps.init()
	host, _ := os.Hostname()
	end := time.Now()
	res := Result{Run: Run{Job: job, Period: period, Status: StatusFailed, Step: step, Error: err.Error(), By: deps.By,
		StartedAt: end, FinishedAt: &end, Host: host, PID: os.Getpid()}}
	notify(ctx, deps, &res)
	if deps.Pool != nil {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
		defer cancel()
		if err := Record(rctx, deps.Pool, &res); err != nil {
			deps.Log.Warn("ledger: failure not recorded", "job", job, "period", period, "error", err)
		}
	}
	return res
}
