package mailer

import (
	"errors"
	"net/textproto"
	"strings"
	"testing"
)

func TestCleanReply(t *testing.T) {
	long := strings.Repeat("ä", 400)
	tests := []struct{ in, want string }{
		{"250 2.0.0 Ok: queued as 1A2B3C", "250 2.0.0 Ok: queued as 1A2B3C"},
		{"535 5.7.8 bad command AUTH PLAIN AGlzcGFjY3QAS3ZTM2NyZXRQVw==", "535 5.7.8 bad command AUTH [redacted]"},
		{"502 5.5.2 Error: command not recognized: auth login S3ZTM2NyZXRQVw", "502 5.5.2 Error: command not recognized: auth [redacted]"},
		{"250-AUTH=PLAIN LOGIN secret", "250-AUTH [redacted]"},
		{"451 4.3.0 AUTHENTICATION service down", "451 4.3.0 AUTHENTICATION service down"},
		{"451 4.3.0 line one\r\n451 4.3.0 line two", "451 4.3.0 line one 451 4.3.0 line two"},
		{"550 bad \xff byte", "550 bad ? byte"},
	}
	for _, tt := range tests {
		if got := CleanReply(tt.in); got != tt.want {
			t.Errorf("CleanReply(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	got := CleanReply("550 " + long)
	if len(got) > MaxReply || !strings.HasSuffix(got, "…") || !strings.HasPrefix(got, "550 ää") {
		t.Errorf("long reply: %d bytes %q", len(got), got)
	}
}

// TestSendErrorRedactsAuth: a refusal that echoes the AUTH line carrying
// the credentials keeps its code but not the credentials in its text,
// which is what goes into the log, the runs table and the outbox.
func TestSendErrorRedactsAuth(t *testing.T) {
	secret := "AGlzcGFjY3QAS3ZTM2NyZXRQVw=="
	for _, err := range []error{
		&textproto.Error{Code: 535, Msg: "5.7.8 Authentication failed for AUTH PLAIN " + secret},
		errors.New("535 5.7.8 you said: AUTH PLAIN " + secret + strings.Repeat(" padding", 100)),
	} {
		se := classify("connect", err, false)
		if se.Code != 535 || se.Enhanced != "5.7.8" {
			t.Errorf("%v: code %d %q, want 535 5.7.8", err, se.Code, se.Enhanced)
		}
		msg := se.Error()
		if strings.Contains(msg, secret) || len(msg) > MaxReply+len("connect: ") || !strings.Contains(msg, "AUTH [redacted]") {
			t.Errorf("SendError text %q: want the AUTH line redacted and at most %d bytes", msg, MaxReply)
		}
	}
}
