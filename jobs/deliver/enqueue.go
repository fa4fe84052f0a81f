package deliver

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ispacct/ispacct/atomicfile"
	"github.com/ispacct/ispacct/jobs/report"
	"github.com/ispacct/ispacct/mailer"
)

// enqueueArchive makes sure the period's archive exists and that each
// configured channel has a message for it in the outbox.
func enqueueArchive(ctx context.Context, pool *pgxpool.Pool, p report.Period, opt Options, again bool) (*ArchiveResult, error) {
	path := filepath.Join(opt.Report.OutDir, report.FileName(p))
	ar := &ArchiveResult{Period: p.Name(), Path: path}
	_, err := os.Stat(path)
	if again || errors.Is(err, os.ErrNotExist) {
		// A resend rebuilds: rows may have arrived since. The same data
		// gives the same bytes, and so the same Message-ID.
		ro := opt.Report
		if ro.Log == nil {
			ro.Log = opt.Log
		}
		if _, err := report.Build(ctx, pool, p, ro); err != nil {
			return nil, err
		}
		ar.Built = true
	} else if err != nil {
		return nil, fmt.Errorf("deliver %s: %w", p.Name(), err)
	}
	info, err := archiveInfo(path)
	if err != nil {
		return nil, fmt.Errorf("deliver %s: %w", p.Name(), err)
	}
	ar.SHA256, ar.Bytes = info.SHA256, info.Bytes
	rejects, err := rejectSummary(ctx, pool, p)
	if err != nil {
		return nil, fmt.Errorf("deliver %s: %w", p.Name(), err)
	}
	for _, ch := range channels(opt) {
		prev, err := latest(ctx, pool, KindArchive, p.Name(), ch)
		if err != nil {
			return nil, fmt.Errorf("deliver %s (%s): %w", p.Name(), ch, err)
		}
		gen := 0
		if prev != nil {
			waiting := prev.Status == StatusPending || prev.Status == StatusSending
			if !again || waiting {
				ar.Known = append(ar.Known, *prev)
				continue
			}
			gen = prev.Generation + 1
		}
		s := mailer.Summary{Kind: p.Kind, Period: p.Name(), Host: opt.Host, Archive: info, Rejects: rejects}
		d, err := queueArchive(ctx, pool, opt, ch, gen, path, s)
		if err != nil {
			return nil, err
		}
		if d == nil { // recorded meanwhile by another process
			continue
		}
		if prev != nil {
			if err := supersede(ctx, pool, prev.ID); err != nil {
				return nil, fmt.Errorf("deliver %s (%s): %w", p.Name(), ch, err)
			}
		}
		opt.Log.Info("message queued", "period", p.Name(), "channel", ch, "generation", gen, "id", d.ID,
			"message_id", d.MessageID, "bytes", d.EMLBytes, "attached", d.Attached, "encrypted", d.Encrypted)
		ar.Queued = append(ar.Queued, *d)
	}
	return ar, nil
}

// channels are the configured channels; the Maildir first, since it is
// on this box and the mail may point to it.
func channels(opt Options) []string {
	var cs []string
	if opt.Mail.MaildirEnabled() && opt.wants(ChannelMaildir) {
		cs = append(cs, ChannelMaildir)
	}
	if opt.Mail.SMTPEnabled() && opt.wants(ChannelSMTP) {
		cs = append(cs, ChannelSMTP)
	}
	return cs
}

func (o Options) wants(ch string) bool { return o.Channels == nil || slices.Contains(o.Channels, ch) }

// queueArchive composes the message for one channel, renders it into the
// outbox and records it.
func queueArchive(ctx context.Context, pool *pgxpool.Pool, opt Options, ch string, gen int, archive string, s mailer.Summary) (*Delivery, error) {
	name := s.Archive.Name
	att := &mailer.Attachment{Path: archive, Name: name, ContentType: "application/zip"}
	attBytes := s.Archive.Bytes
	s.Attached = true
	s.Where = []string{fmt.Sprintf("on %s: %s", opt.Host, archive)}
	d := &Delivery{Kind: KindArchive, Period: s.Period, Channel: ch, Generation: gen, Sender: opt.Mail.From,
		ArchiveSHA: s.Archive.SHA256, CreatedAt: opt.Now().Truncate(time.Second)}
	if ch == ChannelMaildir {
		d.Recipient = opt.Mail.Maildir
	} else {
		d.Recipient = strings.Join(opt.Mail.To, ", ")
		if opt.Mail.MaildirEnabled() {
			s.Where = append(s.Where, "in the dial-in mailbox on "+opt.Host+" (Maildir "+opt.Mail.Maildir+"), attached to the message of the same subject")
		}
		if opt.Mail.Encrypt.Enabled() {
			// Encrypted once, here: the outbox keeps the rendered message,
			// so every retry sends the same ciphertext.
			rcpts, err := mailer.AgeRecipients(opt.Mail.Encrypt.Recipients, opt.Mail.Encrypt.RecipientsFile)
			if err != nil {
				return nil, fmt.Errorf("deliver %s (smtp): %w", s.Period, err)
			}
			enc := filepath.Join(opt.Outbox, fmt.Sprintf(".%s-g%d%s", name, gen, mailer.EncryptedSuffix))
			n, sum, err := mailer.EncryptFile(archive, enc, rcpts, opt.Report.Perm)
			if err != nil {
				return nil, fmt.Errorf("deliver %s (smtp): %w", s.Period, err)
			}
			defer os.Remove(enc)
			s.Encrypted = &mailer.EncryptedInfo{Name: name + mailer.EncryptedSuffix, Bytes: n, SHA256: sum}
			att = &mailer.Attachment{Path: enc, Name: s.Encrypted.Name, ContentType: "application/octet-stream"}
			attBytes, d.Encrypted = n, true
		}
		if attBytes > opt.Mail.MaxAttachBytes() {
			s.Attached, att = false, nil
			opt.Log.Warn("archive too large to attach", "period", s.Period, "bytes", attBytes, "max_attach_mb", opt.Mail.MaxAttachMB)
		}
	}
	d.Attached = s.Attached
	d.MessageID = messageID(KindArchive, "acct-"+s.Period, ch, s.Archive.SHA256, opt.Host)
	d.Subject = archiveSubject(s, opt.Host)
	msg := &mailer.Message{
		From: opt.Mail.From, To: headerTo(opt), Subject: d.Subject, Date: d.CreatedAt.In(opt.Report.Loc),
		MessageID: d.MessageID, Body: s.Text(), Attachment: att,
		Headers: []mailer.Header{{Name: "X-Ispacct-Period", Value: s.Period}, {Name: "X-Ispacct-Archive-SHA256", Value: s.Archive.SHA256}},
	}
	return record(ctx, pool, opt, d, msg)
}

// record renders msg into the outbox, then records it: a crash between
// the two leaves a file the next attempt overwrites, never a row without
// its message.
func record(ctx context.Context, pool *pgxpool.Pool, opt Options, d *Delivery, msg *mailer.Message) (*Delivery, error) {
	d.EMLPath = filepath.Join(opt.Outbox, emlName(d))
	h := sha256.New()
	err := atomicfile.Write(d.EMLPath, opt.Perm, func(w io.Writer) error {
		n, err := msg.WriteTo(io.MultiWriter(w, h))
		d.EMLBytes = n
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("deliver %s (%s): %w", d.Period, d.Channel, err)
	}
	d.EMLSHA256 = hex.EncodeToString(h.Sum(nil))
	ok, err := insert(ctx, pool, d)
	if err != nil || !ok {
		return nil, err
	}
	return d, nil
}

// messageID is stable for the same content: a resend of an unchanged
// archive carries the Message-ID of the first mail, so mail clients (and
// the administrator) recognise it; a changed archive gets a new one.
func messageID(kind, what, channel, sha, host string) string {
	if len(sha) > 12 {
		sha = sha[:12]
	}
	return fmt.Sprintf("ispacct.%s.%s.%s.%s@%s", kind, safe(what), channel, sha, safe(host))
}

// emlName is the message's file in the outbox.
func emlName(d *Delivery) string {
	return fmt.Sprintf("%s-%s-%s-g%d.eml", d.Kind, safe(d.Period), d.Channel, d.Generation)
}

// safe keeps letters, digits and .-_ and turns the rest into "-".
func safe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			return r
		}
		return '-'
	}, s)
}

func archiveSubject(s mailer.Summary, host string) string {
	var parts []string
	for _, f := range s.Archive.Files {
		parts = append(parts, fmt.Sprintf("%s %d", strings.TrimSuffix(f.Name, ".asc"), f.Rows))
	}
	return fmt.Sprintf("[ispacct %s] %s (rows: %s)", host, s.Archive.Name, strings.Join(parts, ", "))
}

// headerTo is the To: of a message; a Maildir-only setup may name no
// address, and then the mailbox's messages are addressed to the sender.
func headerTo(opt Options) []string {
	if len(opt.Mail.To) > 0 {
		return opt.Mail.To
	}
	return []string{opt.Mail.From}
}
