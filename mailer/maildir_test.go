package mailer_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ispacct/ispacct/mailer"
	"github.com/ispacct/ispacct/mailer/mailtest"
)

func TestMaildirDeliversOnce(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "Maildir")
	md := mailer.Maildir{Dir: dir}
	name := mailer.MaildirName(1795300000, "ispacct7g0", "cpe/1:2")
	if name != `1795300000.ispacct7g0.cpe\0571\0722` {
		t.Fatalf("name %q", name)
	}
	p, existed, err := md.Deliver(name, strings.NewReader("Subject: x\r\n\r\nhello\r\n"))
	if err != nil || existed || p != filepath.Join(dir, "new", name) {
		t.Fatalf("first delivery: %q %v %v", p, existed, err)
	}
	// A mail client moves what it has seen to cur/ with flags.
	seen := filepath.Join(dir, "cur", name+":2,S")
	if err := os.Rename(p, seen); err != nil {
		t.Fatal(err)
	}
	p, existed, err = md.Deliver(name, strings.NewReader("Subject: x\r\n\r\nhello\r\n"))
	if err != nil || !existed || p != seen {
		t.Fatalf("second delivery of the same message: %q %v %v; want the one in cur/", p, existed, err)
	}
	if tmp, _ := os.ReadDir(filepath.Join(dir, "tmp")); len(tmp) != 0 {
		t.Fatalf("tmp/ not empty: %v", tmp)
	}
	if _, _, err := md.Deliver("../x", strings.NewReader("")); err == nil {
		t.Fatal("a name with a slash was accepted")
	}
}

// TestMaildirThroughPOP3: a message written into the Maildir is what a
// dial-in mail client gets from a real POP3 server (Dovecot), attachment
// byte for byte.
func TestMaildirThroughPOP3(t *testing.T) {
	dc := mailtest.StartDovecot(t)
	path, data := randomFile(t, "acct-2026-11-21.zip", 200_000)
	var eml bytes.Buffer
	if _, err := testMessage(path).WriteTo(&eml); err != nil {
		t.Fatal(err)
	}
	md := mailer.Maildir{Dir: dc.Maildir}
	if _, _, err := md.Deliver(mailer.MaildirName(1795300000, "ispacct1g0", "cpe"), &eml); err != nil {
		t.Fatal(err)
	}
	msgs, err := mailtest.POP3Fetch(dc.POP3, dc.User, dc.Password, true)
	if err != nil {
		t.Fatalf("pop3: %v\n%s", err, dc.Log())
	}
	if len(msgs) != 1 {
		t.Fatalf("pop3 gave %d messages, want 1", len(msgs))
	}
	p, err := mailtest.Parse(msgs[0])
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(p.Attachments["acct-2026-11-21.zip"], data) {
		t.Fatal("the attachment fetched over POP3 differs from the archive")
	}
	again, err := mailtest.POP3Fetch(dc.POP3, dc.User, dc.Password, false)
	if err != nil || len(again) != 0 {
		t.Fatalf("after DELE the mailbox should be empty: %d %v", len(again), err)
	}
}

// TestMaildirThroughIMAP: the same over IMAP, the other way a dial-in
// client reads the Maildir; two messages, in the order they were written.
func TestMaildirThroughIMAP(t *testing.T) {
	dc := mailtest.StartDovecot(t)
	md := mailer.Maildir{Dir: dc.Maildir}
	var want [][]byte
	for i := range 2 {
		path, data := randomFile(t, "acct-2026-11-21.zip", 150_000+i)
		var eml bytes.Buffer
		if _, err := testMessage(path).WriteTo(&eml); err != nil {
			t.Fatal(err)
		}
		if _, _, err := md.Deliver(mailer.MaildirName(1795300000+int64(i), "ispacct1g0", "cpe"), &eml); err != nil {
			t.Fatal(err)
		}
		want = append(want, data)
	}
	msgs, err := mailtest.IMAPFetch(dc.IMAP, dc.User, dc.Password)
	if err != nil {
		t.Fatalf("imap: %v\n%s", err, dc.Log())
	}
	if len(msgs) != 2 {
		t.Fatalf("imap gave %d messages, want 2", len(msgs))
	}
	for i, m := range msgs {
		p, err := mailtest.Parse(m)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(p.Attachments["acct-2026-11-21.zip"], want[i]) {
			t.Fatalf("message %d: the attachment fetched over IMAP differs from the archive", i+1)
		}
	}
}
