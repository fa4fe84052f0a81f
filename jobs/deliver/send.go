package deliver

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ispacct/ispacct/mailer"
)

// send delivers every due message in the outbox and returns those it
// delivered. It runs under the lock, so no other run sends meanwhile.
func send(ctx context.Context, pool *pgxpool.Pool, opt Options) ([]Delivery, error) {
	if n, err := recoverInterrupted(ctx, pool); err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	} else if n > 0 {
		opt.Log.Warn("messages of an interrupted run queued again", "count", n)
	}
	list, err := due(ctx, pool, opt.Now())
	if err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	var sent []Delivery
	var smtpDue []*Delivery
	for i := range list {
		d := &list[i]
		if d.Channel == ChannelSMTP {
			smtpDue = append(smtpDue, d)
			continue
		}
		ok, err := sendMaildir(ctx, pool, opt, d)
		if err != nil {
			return sent, err
		}
		if ok {
			sent = append(sent, *d)
		}
	}
	if len(smtpDue) > 0 {
		s, err := sendSMTP(ctx, pool, opt, smtpDue)
		sent = append(sent, s...)
		if err != nil {
			return sent, err
		}
	}
	return sent, nil
}

// sendMaildir writes one message into its Maildir.
func sendMaildir(ctx context.Context, pool *pgxpool.Pool, opt Options, d *Delivery) (bool, error) {
	if err := markSending(ctx, pool, d); err != nil {
		return false, fmt.Errorf("outbox: %w", err)
	}
	f, err := os.Open(d.EMLPath)
	if err != nil {
		return false, lost(ctx, pool, opt, d, err)
	}
	defer f.Close()
	// The name comes from the message, not the attempt: a run that died
	// after the rename finds the message there and does not write it twice.
	// A resend is another generation and so another message.
	name := mailer.MaildirName(d.CreatedAt.Unix(), fmt.Sprintf("ispacct_%sg%d", d.EMLSHA256[:16], d.Generation), opt.Host)
	path, existed, err := mailer.Maildir{Dir: d.Recipient}.Deliver(name, f)
	if err != nil {
		// A local folder that cannot be written: the administrator must
		// act, but the message waits and is tried again.
		why := fmt.Sprintf("deliver %s to %s: %v", d.Period, d.Recipient, err)
		opt.Log.Error("delivery failed", "id", d.ID, "channel", d.Channel, "period", d.Period, "attempt", d.Attempts, "error", why)
		if err := markFailed(ctx, pool, d, false, why, opt.Now().Add(backoff(opt, d.Attempts))); err != nil {
			return false, fmt.Errorf("outbox: %w", err)
		}
		return false, nil
	}
	if err := markSent(ctx, pool, d, path, opt.Now()); err != nil {
		return false, fmt.Errorf("outbox: %w", err)
	}
	opt.Log.Info("message delivered", "id", d.ID, "channel", d.Channel, "period", d.Period, "to", d.Recipient,
		"file", path, "already_there", existed, "message_id", d.MessageID)
	return true, nil
}

// sendSMTP sends the due SMTP messages over one connection.
func sendSMTP(ctx context.Context, pool *pgxpool.Pool, opt Options, list []*Delivery) ([]Delivery, error) {
	var sent []Delivery
	if !opt.Mail.SMTPEnabled() {
		for _, d := range list {
			d.Attempts++
			why := "mail.smtp.host is not configured any more; the message waits until it is"
			if err := markFailed(ctx, pool, d, false, why, opt.Now().Add(backoff(opt, d.Attempts))); err != nil {
				return sent, fmt.Errorf("outbox: %w", err)
			}
		}
		return sent, nil
	}
	cfg, err := smtpConfig(opt)
	if err != nil {
		return sent, err
	}
	var sess *mailer.SMTPSession
	var connErr error // once the connection fails, the rest waits for the next run
	defer func() {
		if sess != nil {
			sess.Close()
		}
	}()
	for _, d := range list {
		if ctx.Err() != nil {
			return sent, ctx.Err()
		}
		if sess == nil && connErr == nil {
			sess, connErr = mailer.DialSMTP(ctx, cfg)
			if connErr != nil {
				opt.Log.Error("smtp connection failed", "server", fmt.Sprintf("%s:%d", cfg.Host, cfg.Port), "error", connErr)
			}
		}
		if connErr != nil {
			d.Attempts++
			why := fmt.Sprintf("deliver %s to %s: %v", d.Period, d.Recipient, connErr)
			if err := markFailed(ctx, pool, d, false, why, opt.Now().Add(backoff(opt, d.Attempts))); err != nil {
				return sent, fmt.Errorf("outbox: %w", err)
			}
			continue
		}
		if err := markSending(ctx, pool, d); err != nil {
			return sent, fmt.Errorf("outbox: %w", err)
		}
		f, err := os.Open(d.EMLPath)
		if err != nil {
			if err := lost(ctx, pool, opt, d, err); err != nil {
				return sent, err
			}
			continue
		}
		reply, err := sess.Send(ctx, d.Sender, recipients(d.Recipient), f)
		f.Close()
		if err != nil {
			if ctx.Err() != nil {
				// Interrupted: the row stays "sending" and the next run
				// retries it (recoverInterrupted).
				return sent, ctx.Err()
			}
			var se *mailer.SendError
			permanent := errors.As(err, &se) && se.Permanent
			why := fmt.Sprintf("deliver %s to %s: %v", d.Period, d.Recipient, err)
			next := opt.Now().Add(backoff(opt, d.Attempts))
			if permanent {
				next = opt.Now()
			}
			opt.Log.Error("delivery failed", "id", d.ID, "channel", d.Channel, "period", d.Period, "attempt", d.Attempts,
				"permanent", permanent, "error", why)
			if err := markFailed(ctx, pool, d, permanent, why, next); err != nil {
				return sent, fmt.Errorf("outbox: %w", err)
			}
			if !errors.As(err, &se) || se.Code == 0 {
				// No reply from the server: the connection is gone.
				sess.Close()
				sess, connErr = nil, err
			}
			continue
		}
		if err := markSent(ctx, pool, d, reply, opt.Now()); err != nil {
			return sent, fmt.Errorf("outbox: %w", err)
		}
		opt.Log.Info("message delivered", "id", d.ID, "channel", d.Channel, "period", d.Period, "to", d.Recipient,
			"reply", reply, "message_id", d.MessageID)
		sent = append(sent, *d)
	}
	return sent, nil
}

// lost handles a message whose outbox file has gone: it cannot be sent
// as recorded, so it is marked failed (listed, kept) for a resend to
// render again, never skipped in silence.
func lost(ctx context.Context, pool *pgxpool.Pool, opt Options, d *Delivery, err error) error {
	why := fmt.Sprintf("deliver %s: outbox file: %v; 'ispacct resend' renders it again", d.Period, err)
	opt.Log.Error("delivery failed", "id", d.ID, "channel", d.Channel, "period", d.Period, "error", why)
	if err := markFailed(ctx, pool, d, true, why, opt.Now()); err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	return nil
}

// backoff is the wait before attempt n+1: retry_min doubled per failed
// attempt, at most retry_max.
func backoff(opt Options, attempts int) time.Duration {
	w := opt.Mail.RetryMin
	for i := 1; i < attempts && w < opt.Mail.RetryMax; i++ {
		w *= 2
	}
	return min(w, opt.Mail.RetryMax)
}

func recipients(s string) []string {
	var out []string
	for _, r := range strings.Split(s, ",") {
		if r = strings.TrimSpace(r); r != "" {
			out = append(out, r)
		}
	}
	return out
}

// smtpConfig turns the configuration into what mailer.DialSMTP takes.
func smtpConfig(opt Options) (mailer.SMTP, error) {
	s := opt.Mail.SMTP
	cfg := mailer.SMTP{Host: s.Host, Port: s.Port, Security: s.Security, Username: s.Username,
		Password: s.Password, Auth: s.Auth, Timeout: s.Timeout, HELO: s.HELO}
	if s.CAFile != "" {
		pem, err := os.ReadFile(s.CAFile)
		if err != nil {
			return cfg, fmt.Errorf("mail.smtp.ca_file: %w", err)
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return cfg, fmt.Errorf("mail.smtp.ca_file %q: no PEM certificate in it", s.CAFile)
		}
	}
	return cfg, nil
}
