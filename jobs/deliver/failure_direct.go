package deliver

import (
	"bytes"
	"context"
	"fmt"

	"github.com/ispacct/ispacct/mailer"
)

// NotifyFailureDirect sends the notice of f at once, bypassing the outbox,
// for the one failure the outbox cannot take: the database that holds it
// is down. A notice that cannot be sent this way is lost (the error says
// so), which is why NotifyFailure comes first whenever the database
// answers. It returns where the message went: the server's reply or the
// Maildir file.
func NotifyFailureDirect(ctx context.Context, opt Options, f Failure) (string, error) {
	if err := opt.init(); err != nil {
		return "", err
	}
	d, msg := failureMessage(opt, f)
	var eml bytes.Buffer
	if _, err := msg.WriteTo(&eml); err != nil {
		return "", fmt.Errorf("failure notice for %s: %w", f.Job, err)
	}
	if d.Channel == ChannelMaildir {
		// Named after the failure (job and second), so the same notice
		// sent twice is one message.
		name := mailer.MaildirName(d.CreatedAt.Unix(), "ispacct_failure_"+safe(d.Period), opt.Host)
		path, _, err := mailer.Maildir{Dir: d.Recipient}.Deliver(name, &eml)
		if err != nil {
			return "", fmt.Errorf("failure notice for %s into %q: %w", f.Job, d.Recipient, err)
		}
		opt.Log.Info("failure notice delivered without the outbox", "job", f.Job, "file", path, "message_id", d.MessageID)
		return path, nil
	}
	cfg, err := smtpConfig(opt)
	if err != nil {
		return "", err
	}
	sess, err := mailer.DialSMTP(ctx, cfg)
	if err != nil {
		return "", fmt.Errorf("failure notice for %s: %w", f.Job, err)
	}
	defer sess.Close()
	reply, err := sess.Send(ctx, d.Sender, recipients(d.Recipient), &eml)
	if err != nil {
		return "", fmt.Errorf("failure notice for %s to %s: %w", f.Job, d.Recipient, err)
	}
	opt.Log.Info("failure notice delivered without the outbox", "job", f.Job, "to", d.Recipient, "reply", reply, "message_id", d.MessageID)
	return reply, nil
}
