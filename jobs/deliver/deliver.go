// Package deliver gets the archives to the administrator, by SMTP and into
// a local Maildir, through an outbox: every message is rendered once into
// <state_dir>/outbox/ and recorded in the deliveries table before it is
// sent. A send that fails for now (server down, 4xx, time-out) stays there
// and is retried by a later run with growing waits; one refused for good
// (5xx) is kept and listed until it is resent. A delivered message is not
// sent again unless asked (Resend). One run at a time sends, under an
// advisory lock, so two runs never send the same message.
package deliver

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ispacct/ispacct/atomicfile"
	"github.com/ispacct/ispacct/config"
	"github.com/ispacct/ispacct/jobs/report"
	"github.com/ispacct/ispacct/lock"
)

// LockName is the advisory lock that one sending run holds.
const LockName = "deliver"

// Options are what a delivery run needs besides the database.
type Options struct {
	Mail config.Mail
	// Report is where archives are found (OutDir) and how a missing one
	// is built; its Loc is the zone of the messages' dates too. Log stands
	// in for its Log when that is nil.
	Report report.Options
	Outbox string // where rendered messages wait: <state_dir>/outbox
	// Perm is who may read the outbox; the zero Perm is 0640/0750 with the
	// creator's group (atomicfile.Perm).
	Perm atomicfile.Perm
	Host string // names this box in Message-IDs and bodies; default the host name
	Wait bool   // wait for another run's lock instead of returning *lock.HeldError
	// Channels, when set, limits the channels new messages are queued for
	// (a re-request into the Maildir only); what already waits is sent
	// by every configured channel.
	Channels []string
	Log      *slog.Logger
	// Now is the clock, time.Now when nil; tests move it past a backoff.
	Now func() time.Time
}

// FromConfig fills Options from the configuration.
func FromConfig(c *config.Config, log *slog.Logger) Options {
	return Options{
		Mail:   c.Mail,
		Report: report.FromConfig(c, "", log),
		Outbox: filepath.Join(c.StateDir, "outbox"),
		Perm:   atomicfile.Private(c.Report.GID),
		Log:    log,
	}
}

func (o *Options) init() error {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Host == "" {
		h, err := os.Hostname()
		if err != nil || h == "" {
			h = "localhost"
		}
		o.Host = h
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if !o.Mail.Delivers() {
		return &NotConfiguredError{}
	}
	return nil
}

// NotConfiguredError: neither SMTP nor a Maildir is configured.
type NotConfiguredError struct{}

func (*NotConfiguredError) Error() string {
	return "no delivery configured: set mail.smtp.host (and mail.to), or mail.maildir"
}

// Result is what a run did and what still waits.
type Result struct {
	Archives []ArchiveResult `json:"archives"`
	Sent     []Delivery      `json:"sent"`    // delivered by this run
	Waiting  []Delivery      `json:"waiting"` // not delivered after this run
}

// ArchiveResult is one period's archive and its messages.
type ArchiveResult struct {
	Period string `json:"period"`
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Bytes  int64  `json:"bytes"`
	Built  bool   `json:"built"` // built by this run
	// Queued are the messages this run put in the outbox for it; Known
	// are earlier ones that make a new message unnecessary.
	Queued []Delivery `json:"queued,omitempty"`
	Known  []Delivery `json:"known,omitempty"`
}

// Run delivers the archives of the periods: it builds an archive that is
// missing, puts a message per channel into the outbox unless one was
// queued before, and sends every message that is due, old ones included.
func Run(ctx context.Context, pool *pgxpool.Pool, periods []report.Period, opt Options) (*Result, error) {
	return run(ctx, pool, periods, opt, false)
}

// Resend delivers the periods again: it rebuilds each archive from the
// database and queues a new generation of its messages, under the same
// Message-ID when the archive did not change. A message still waiting in
// the outbox is not doubled; one refused for good is superseded.
func Resend(ctx context.Context, pool *pgxpool.Pool, periods []report.Period, opt Options) (*Result, error) {
	return run(ctx, pool, periods, opt, true)
}

// Flush only sends what is due in the outbox.
func Flush(ctx context.Context, pool *pgxpool.Pool, opt Options) (*Result, error) {
	return run(ctx, pool, nil, opt, false)
}

func run(ctx context.Context, pool *pgxpool.Pool, periods []report.Period, opt Options, again bool) (*Result, error) {
	if err := opt.init(); err != nil {
		return nil, err
	}
	l, err := lock.Acquire(ctx, pool, LockName, opt.Wait)
	if err != nil {
		return nil, err
	}
	defer l.Release()
	res := &Result{}
	for _, p := range periods {
		ar, err := enqueueArchive(ctx, pool, p, opt, again)
		if err != nil {
			return res, err
		}
		res.Archives = append(res.Archives, *ar)
	}
	sent, err := send(ctx, pool, opt)
	res.Sent = sent
	if err != nil {
		return res, err
	}
	if res.Waiting, err = Waiting(ctx, pool); err != nil {
		return res, err
	}
	return res, nil
}

// WaitingError says that messages wait in the outbox after a run: the
// command exits 3 (partly done).
type WaitingError struct{ Waiting []Delivery }

func (e *WaitingError) Error() string {
	pending, failed := 0, 0
	for _, d := range e.Waiting {
		if d.Status == StatusFailed {
			failed++
		} else {
			pending++
		}
	}
	msg := fmt.Sprintf("%d messages wait in the outbox", len(e.Waiting))
	if len(e.Waiting) == 1 {
		msg = "1 message waits in the outbox"
	}
	if failed > 0 {
		msg += fmt.Sprintf(" (%d to be retried, %d refused for good: see 'ispacct outbox', then 'ispacct resend')", pending, failed)
	} else {
		msg += " and will be retried by the next run ('ispacct outbox' lists them)"
	}
	return msg
}

// Err returns a *WaitingError when something waits, else nil.
func (r *Result) Err() error {
	if r == nil || len(r.Waiting) == 0 {
		return nil
	}
	return &WaitingError{Waiting: r.Waiting}
}
