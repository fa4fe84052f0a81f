package run

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/ispacct/ispacct/jobs/config"
	"github.com/ispacct/ispacct/jobs/deliver"
)

// Command is the command line that runs job for period again.
func Command(cfg *config.Config, job Job, period string) string {
	cmd := "ispacct run daily --date " + period
	if job == JobMonthly {
		cmd = "ispacct run monthly --month " + period
	}
	if cfg.File != "" && !isDefaultPath(cfg.File) {
		cmd += fmt.Sprintf(" --config %q", cfg.File)
	}
	return cmd
}

func isDefaultPath(file string) bool {
	for _, p := range config.DefaultPaths {
		if p == file {
			return true
		}
	}
	return false
}

// notify mails the administrator that res failed, with the command that
// runs it again: through the outbox when the database answers (so a mail
// server that is down delays it, never loses it), else straight to the
// mail server or the Maildir.
func notify(ctx context.Context, deps Deps, res *Result) {
	cfg := deps.Cfg
	log := deps.Log.With("job", res.Job, "period", res.Period)
	if !cfg.Mail.SMTPEnabled() && !cfg.Mail.MaildirEnabled() {
		log.Warn("failure not mailed: no delivery configured (mail.smtp.host or mail.maildir)")
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	f := deliver.Failure{
		Job:     fmt.Sprintf("run %s %s", res.Job, res.Period),
		Err:     fmt.Errorf("step %s: %s", res.Step, res.Error),
		Command: Command(cfg, res.Job, res.Period),
		At:      res.StartedAt,
	}
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
	log.Warn("failure notice cannot go through the outbox; sending it directly", "error", err)
	where, err := deliver.NotifyFailureDirect(ctx, opt, f)
	if err != nil {
		log.Error("failure notice lost: neither the outbox nor the mail server took it", "error", err)
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
