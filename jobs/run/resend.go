package run

import (
	"context"
	"errors"
	"os"
	"time"

	"github.com/ispacct/ispacct/jobs/deliver"
	"github.com/ispacct/ispacct/jobs/report"
	"github.com/ispacct/ispacct/lock"
)

// JobResend is a re-request in the ledger: archives rebuilt and delivered
// again on the administrator's word. Backlog and Missed never look at it.
const JobResend Job = "resend"

// ResendPeriod names the periods of a re-request in the ledger: one
// period, or "first..last".
func ResendPeriod(periods []report.Period) string {
	if len(periods) == 0 {
		return ""
	}
	first, last := periods[0].Name(), periods[len(periods)-1].Name()
	if first == last {
		return first
	}
	return first + ".." + last
}

// Resend rebuilds the archives of periods and delivers them again
// (deliver.Resend with opt, from deliver.FromConfig), and records the
// re-request in the ledger as a run of JobResend started by deps.By. It
// takes no chain lock: deliver's own lock keeps two sends apart. The run
// is ok when everything went out, partial when a message waits in the
// outbox, failed on an error; the ledger row is written once, at the end.
func Resend(ctx context.Context, deps Deps, periods []report.Period, opt deliver.Options) (Result, error) {
	deps.init()
	host, _ := os.Hostname()
	res := Result{Run: Run{Job: JobResend, Period: ResendPeriod(periods), Status: StatusRunning, By: deps.By,
		// Forced: a period may be re-requested any number of times.
		Forced: true, StartedAt: time.Now(), Host: host, PID: os.Getpid()}}
	log := deps.Log.With("job", JobResend, "period", res.Period, "by", deps.By)
	log.Info("re-request started", "periods", len(periods), "channels", opt.Channels)
	dres, err := deliver.Resend(ctx, deps.Pool, periods, opt)
	var held *lock.HeldError
	if errors.As(err, &held) {
		return res, err // another delivery runs: nothing ran, nothing to record
	}
	res.Deliver = dres
	res.FinishedAt = ptr(time.Now())
	res.Seconds = res.FinishedAt.Sub(res.StartedAt).Seconds()
	if dres != nil {
		res.Deliveries = len(dres.Sent)
	}
	var we *deliver.WaitingError
	switch {
	case err != nil:
		res.Status, res.Step, res.Error = StatusFailed, StepDeliver, err.Error()
	case errors.As(dres.Err(), &we):
		res.Status, res.Error = StatusPartial, we.Error()
		res.Partial = []string{we.Error()}
	default:
		res.Status = StatusOK
	}
	record(ctx, deps, &res, log)
	log.Info("re-request finished", "status", res.Status, "seconds", round(res.Seconds), "sent", res.Deliveries,
		"error", res.Error, "run", res.ID)
	return res, err
}
