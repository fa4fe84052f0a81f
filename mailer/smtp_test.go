package mailer_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ispacct/ispacct/mailer"
	"github.com/ispacct/ispacct/mailer/mailtest"
)

func render(t *testing.T, m *mailer.Message) []byte {
	t.Helper()
	var b bytes.Buffer
	if _, err := m.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestSMTPSendAndClassify sends through a real Postfix: the attachment
// arrives byte for byte; a 4xx is temporary, a 5xx permanent, a server
// that is down temporary; after a refused recipient the session goes on.
func TestSMTPSendAndClassify(t *testing.T) {
	pf := mailtest.StartPostfix(t, mailtest.PostfixOptions{})
	ctx := context.Background()
	cfg := mailer.SMTP{Host: "127.0.0.1", Port: pf.Port, Security: "none", Timeout: 10 * time.Second}
	s, err := mailer.DialSMTP(ctx, cfg)
	if err != nil {
		t.Fatalf("dial: %v\n%s", err, pf.Log())
	}
	path, data := randomFile(t, "acct-2026-11-21.zip", 2<<20)
	eml := render(t, testMessage(path))

	_, err = s.Send(ctx, "ispacct@cpe.example.net", []string{mailtest.TempFail}, bytes.NewReader(eml))
	var se *mailer.SendError
	if !errors.As(err, &se) || se.Permanent || se.Code != 451 || se.Enhanced != "4.3.0" {
		t.Fatalf("4xx: %#v", err)
	}
	_, err = s.Send(ctx, "ispacct@cpe.example.net", []string{mailtest.Admin, mailtest.Reject}, bytes.NewReader(eml))
	if !errors.As(err, &se) || !se.Permanent || se.Code != 554 || !strings.Contains(se.Stage, mailtest.Reject) {
		t.Fatalf("5xx: %#v", err)
	}
	reply, err := s.Send(ctx, "ispacct@cpe.example.net", []string{mailtest.Admin}, bytes.NewReader(eml))
	if err != nil || !strings.Contains(reply, "queued as") {
		t.Fatalf("send: %q %v", reply, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	msgs := pf.Received(1, 10*time.Second)
	if len(msgs) != 1 {
		t.Fatalf("the server delivered %d messages, want 1 (the refused ones must not arrive)\n%s", len(msgs), pf.Log())
	}
	p, err := mailtest.Parse(msgs[0])
	if err != nil {
		t.Fatal(err)
	}
	if sha256.Sum256(p.Attachments["acct-2026-11-21.zip"]) != sha256.Sum256(data) {
		t.Fatal("received attachment's sha256 differs from the archive's")
	}

	starttls := cfg
	starttls.Security = "starttls"
	if _, err := mailer.DialSMTP(ctx, starttls); err == nil {
		t.Fatal("STARTTLS is required, yet a server that does not offer it was accepted")
	}

	pf.Stop()
	_, err = mailer.DialSMTP(ctx, cfg)
	if !errors.As(err, &se) || se.Permanent || se.Stage != "connect" {
		t.Fatalf("server down: %#v", err)
	}
	t.Logf("server down: %v", err)
}

// TestSMTPStartTLSAndLogin: STARTTLS is required by default, the server's
// certificate is checked against the configured CA, and the password is
// used only inside TLS (Postfix asks Dovecot to check it).
func TestSMTPStartTLSAndLogin(t *testing.T) {
	dc := mailtest.StartDovecot(t)
	pf := mailtest.StartPostfix(t, mailtest.PostfixOptions{SASL: dc.AuthAddr})
	ctx := context.Background()
	cfg := mailer.SMTP{Host: "127.0.0.1", Port: pf.Port, Security: "starttls", Timeout: 10 * time.Second,
		Username: dc.User, Password: dc.Password, Auth: "auto", RootCAs: pf.RootCAs}

	s, err := mailer.DialSMTP(ctx, cfg)
	if err != nil {
		t.Fatalf("login: %v\n%s", err, pf.Log())
	}
	path, data := randomFile(t, "acct-2026-11-21.zip", 50_000)
	if _, err := s.Send(ctx, "ispacct@cpe.example.net", []string{mailtest.Admin}, bytes.NewReader(render(t, testMessage(path)))); err != nil {
		t.Fatal(err)
	}
	s.Close()
	msgs := pf.Received(1, 10*time.Second)
	if len(msgs) != 1 {
		t.Fatalf("%d messages received", len(msgs))
	}
	p, _ := mailtest.Parse(msgs[0])
	if !bytes.Equal(p.Attachments["acct-2026-11-21.zip"], data) {
		t.Fatal("attachment differs")
	}
	if !strings.Contains(pf.Log(), "sasl_username="+dc.User) {
		t.Fatalf("postfix did not log a login:\n%s", pf.Log())
	}

	noCA := cfg
	noCA.RootCAs = nil
	if _, err := mailer.DialSMTP(ctx, noCA); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("a certificate from an unknown CA was accepted: %v", err)
	}
	// Last: Dovecot slows down logins after a failed one.
	wrong := cfg
	wrong.Password = "wrong-password"
	_, err = mailer.DialSMTP(ctx, wrong)
	var se *mailer.SendError
	if !errors.As(err, &se) || se.Permanent || se.Stage != "connect" || se.Code != 535 {
		t.Fatalf("wrong password: %#v", err)
	}
	if strings.Contains(err.Error(), "wrong-password") {
		t.Fatalf("the error shows the password: %v", err)
	}
	t.Logf("wrong password: %v", err)
}
