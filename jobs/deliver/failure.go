package deliver

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ispacct/ispacct/lock"
	"github.com/ispacct/ispacct/mailer"
)

// Failure is a job that failed, for NotifyFailure.
type Failure struct {
	Job     string    // "ingest"
	Err     error     // what the job returned
	Command string    // the command that runs it again: "ispacct ingest --source squid"
	At      time.Time // when it failed; zero: now
	// Partial: the job ran but left out what Err lists (a file it could
	// not read, say), which the administrator must see to.
	Partial bool
}

// NotifyFailure tells the administrator that a job failed, as cron's
// MAILTO would: a short mail with the error and the command to run it
// again, to the configured addresses (or, with no SMTP, into the Maildir).
// The mail goes through the outbox like any other, so it is not lost when
// the server is down. It is sent at once unless a delivery run holds the
// lock; then that run or the next sends it.
//
// The error must not carry secrets; errors of ispacct's own jobs do not.
func NotifyFailure(ctx context.Context, pool *pgxpool.Pool, opt Options, f Failure) (*Delivery, error) {
	if err := opt.init(); err != nil {
		return nil, err
	}
	d, msg := failureMessage(opt, f)
	rec, err := record(ctx, pool, opt, d, msg)
	if err != nil {
		return nil, fmt.Errorf("failure notice for %s: %w", f.Job, err)
	}
	if rec == nil {
		// The same failure (job and second) was recorded already.
		return latest(ctx, pool, KindFailure, d.Period, d.Channel)
	}
	opt.Log.Info("message queued", "kind", KindFailure, "job", f.Job, "channel", d.Channel, "id", d.ID, "message_id", d.MessageID)

	l, err := lock.Acquire(ctx, pool, LockName, false)
	var held *lock.HeldError
	if errors.As(err, &held) {
		opt.Log.Info("failure notice left in the outbox for the running delivery", "id", d.ID, "holder_pid", held.PID)
		return d, nil
	}
	if err != nil {
		return d, err
	}
	defer l.Release()
	if _, err := send(ctx, pool, opt); err != nil {
		return d, err
	}
	if cur, err := latest(ctx, pool, KindFailure, d.Period, d.Channel); err == nil && cur != nil {
		d = cur
	}
	return d, nil
}

// failureMessage renders the notice of f and the outbox row it goes with.
// opt must be initialised.
func failureMessage(opt Options, f Failure) (*Delivery, *mailer.Message) {
	if f.At.IsZero() {
		f.At = opt.Now()
	}
	at := f.At.Truncate(time.Second)
	errText := "(no error given)"
	if f.Err != nil {
		errText = f.Err.Error()
	}
	d := &Delivery{Kind: KindFailure, Channel: ChannelSMTP, Sender: opt.Mail.From, CreatedAt: at}
	if opt.Mail.SMTPEnabled() {
		d.Recipient = strings.Join(opt.Mail.To, ", ")
	} else {
		d.Channel, d.Recipient = ChannelMaildir, opt.Mail.Maildir
	}
	d.Period = fmt.Sprintf("%s %s", f.Job, at.UTC().Format(time.RFC3339))
	// The whole second, not messageID's 12-character digest: two failures
	// of a job ten minutes apart are two messages.
	d.MessageID = fmt.Sprintf("ispacct.%s.%s.%s.%s@%s", KindFailure, safe(f.Job), d.Channel, at.UTC().Format("20060102T150405Z"), safe(opt.Host))
	what := "FAILED"
	if f.Partial {
		what = "PARTLY DONE"
	}
	d.Subject = fmt.Sprintf("[ispacct %s] %s: %s", opt.Host, what, f.Job)
	n := mailer.FailureNotice{Job: f.Job, Host: opt.Host, At: at.In(opt.Report.Loc), Err: errText, Command: f.Command, Partial: f.Partial}
	msg := &mailer.Message{
		From: opt.Mail.From, To: headerTo(opt), Subject: d.Subject, Date: at.In(opt.Report.Loc), MessageID: d.MessageID,
		Body: n.Text(), Headers: []mailer.Header{{Name: "X-Ispacct-Job", Value: safe(f.Job)}},
	}
	return d, msg
}
