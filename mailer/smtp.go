package mailer

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/textproto"
	"strings"
	"time"

	"github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"
)

// SMTP is how to reach the server mail leaves through.
type SMTP struct {
	Host     string
	Port     int
	Security string // "starttls" (required), "tls" (implicit) or "none"
	Username string // empty: no authentication
	Password string
	Auth     string // "auto", "plain", "login", "cram-md5", "scram-sha-256", "scram-sha-1"
	Timeout  time.Duration
	HELO     string
	RootCAs  *x509.CertPool // nil: the system's
}

// SMTPSession is one connection to the server, set up by go-mail (TLS
// policy, EHLO, STARTTLS, authentication, time-outs). Messages are sent
// over it as the bytes rendered into the outbox, not re-rendered.
type SMTPSession struct {
	client  *mail.Client
	conn    *smtp.Client
	timeout time.Duration
}

// SendError is a failed SMTP delivery, classified.
type SendError struct {
	Stage string // connect, mail from, rcpt to, data
	// Code is the server's reply code, 0 when the server gave none
	// (connection refused, time-out, TLS failure).
	Code     int
	Enhanced string // enhanced status code, 5.1.1, when the server gave one
	// Permanent: the server refused this message for good (a 5xx reply to
	// MAIL, RCPT or DATA). Anything else may pass on a later try: the
	// server down, a 4xx reply, a time-out, and also a failed login or TLS
	// handshake, which is the connection's problem, not the message's.
	Permanent bool
	Err       error
}

// Error is the stage and the server's reply, cleaned (CleanReply): it is
// what logs and the outbox keep.
func (e *SendError) Error() string { return e.Stage + ": " + CleanReply(e.Err.Error()) }
func (e *SendError) Unwrap() error { return e.Err }

// DialSMTP connects, says EHLO, secures the connection and logs in as
// configured.
func DialSMTP(ctx context.Context, s SMTP) (*SMTPSession, error) {
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	tlsConf := &tls.Config{ServerName: s.Host, RootCAs: s.RootCAs, MinVersion: tls.VersionTLS12}
	opts := []mail.Option{mail.WithPort(s.Port), mail.WithTimeout(timeout), mail.WithTLSConfig(tlsConf)}
	switch s.Security {
	case "tls":
		opts = append(opts, mail.WithSSL())
	case "none":
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	default:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	}
	if s.HELO != "" {
		opts = append(opts, mail.WithHELO(s.HELO))
	}
	if s.Username != "" {
		auth, err := smtpAuth(s.Auth)
		if err != nil {
			return nil, &SendError{Stage: "connect", Err: err}
		}
		opts = append(opts, mail.WithSMTPAuth(auth), mail.WithUsername(s.Username), mail.WithPassword(s.Password))
	}
	c, err := mail.NewClient(s.Host, opts...)
	if err != nil {
		return nil, &SendError{Stage: "connect", Err: err}
	}
	conn, err := c.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return nil, classify("connect", err, false)
	}
	return &SMTPSession{client: c, conn: conn, timeout: timeout}, nil
}

func smtpAuth(name string) (mail.SMTPAuthType, error) {
	switch name {
	case "", "auto":
		return mail.SMTPAuthAutoDiscover, nil
	case "plain":
		return mail.SMTPAuthPlain, nil
	case "login":
		return mail.SMTPAuthLogin, nil
	case "cram-md5":
		return mail.SMTPAuthCramMD5, nil
	case "scram-sha-256":
		return mail.SMTPAuthSCRAMSHA256, nil
	case "scram-sha-1":
		return mail.SMTPAuthSCRAMSHA1, nil
	}
	return "", fmt.Errorf("unknown authentication mechanism %q", name)
}

// Send transfers one rendered message to the given envelope recipients
// and returns the server's reply to it ("2.0.0 Ok: queued as 1A2B3C"),
// cleaned (CleanReply).
// Either every recipient is accepted and the message sent, or none: a
// refused recipient aborts the transaction, so a retry never reaches the
// others twice.
func (s *SMTPSession) Send(ctx context.Context, from string, to []string, eml io.Reader) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	// A cancelled run must not hang on a slow server: closing the
	// connection ends any read or write in progress.
	stop := context.AfterFunc(ctx, func() { s.conn.Close() })
	defer stop()
	if err := s.conn.UpdateDeadline(s.timeout); err != nil {
		return "", classify("mail from", err, false)
	}
	if err := s.conn.Mail(from); err != nil {
		return "", s.fail("mail from", err)
	}
	for _, rcpt := range to {
		if err := s.conn.Rcpt(rcpt); err != nil {
			return "", s.fail("rcpt to "+rcpt, err)
		}
	}
	w, err := s.conn.Data()
	if err != nil {
		return "", s.fail("data", err)
	}
	// The deadline moves with every chunk: the time-out is for a stalled
	// connection, not for the whole of a large message on a slow line.
	if _, err := io.Copy(w, &deadlineReader{r: eml, s: s}); err != nil {
		return "", classify("data", err, false)
	}
	if err := w.Close(); err != nil {
		return "", s.fail("data", err)
	}
	reply := ""
	if dc, ok := w.(*smtp.DataCloser); ok {
		reply = CleanReply(dc.ServerResponse())
	}
	return reply, nil
}

// fail classifies err and resets the transaction for the next message.
func (s *SMTPSession) fail(stage string, err error) error {
	se := classify(stage, err, true)
	if se.Code != 0 {
		s.conn.Reset()
	}
	return se
}

// Close says QUIT and closes the connection.
func (s *SMTPSession) Close() error {
	if err := s.client.CloseWithSMTPClient(s.conn); err != nil {
		s.conn.Close()
		return err
	}
	return nil
}

type deadlineReader struct {
	r io.Reader
	s *SMTPSession
}

func (d *deadlineReader) Read(p []byte) (int, error) {
	if err := d.s.conn.UpdateDeadline(d.s.timeout); err != nil {
		return 0, err
	}
	return d.r.Read(p)
}

// classify turns an error from the SMTP conversation into a *SendError.
// Only a 5xx reply about the message itself (messageStage) is permanent.
func classify(stage string, err error, messageStage bool) *SendError {
	se := &SendError{Stage: stage, Err: err}
	var tp *textproto.Error
	if errors.As(err, &tp) {
		se.Code = tp.Code
		se.Enhanced = enhanced(tp.Msg)
	} else if code := leadingCode(err.Error()); code != 0 {
		// go-mail reports some replies as plain text ("535 5.7.8 ...").
		se.Code = code
		se.Enhanced = enhanced(err.Error()[3:])
	}
	se.Permanent = messageStage && se.Code >= 500 && se.Code < 600
	return se
}

func leadingCode(s string) int {
	if len(s) < 4 || s[3] != ' ' && s[3] != '-' {
		return 0
	}
	n := 0
	for _, c := range s[:3] {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + int(c-'0')
	}
	if n < 200 || n > 599 {
		return 0
	}
	return n
}

// enhanced picks an RFC 3463 status code ("5.1.1") off the start of a reply.
func enhanced(msg string) string {
	f := strings.Fields(msg)
	if len(f) == 0 {
		return ""
	}
	parts := strings.Split(f[0], ".")
	if len(parts) != 3 || len(parts[0]) != 1 || !strings.ContainsAny(parts[0], "245") {
		return ""
	}
	for _, p := range parts[1:] {
		if p == "" || len(p) > 3 || strings.Trim(p, "0123456789") != "" {
			return ""
		}
	}
	return f[0]
}
