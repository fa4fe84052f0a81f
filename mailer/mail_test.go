package mailer_test

import (
	"bytes"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ispacct/ispacct/mailer"
	"github.com/ispacct/ispacct/mailer/mailtest"
)

// randomFile writes n random bytes (incompressible, like a zip) to a file.
func randomFile(t *testing.T, name string, n int) (string, []byte) {
	t.Helper()
	b := make([]byte, n)
	rand.Read(b)
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p, b
}

func testMessage(path string) *mailer.Message {
	return &mailer.Message{
		From:       "ispacct@cpe.example.net",
		To:         []string{mailtest.Admin},
		Subject:    "[ispacct cpe] archive 2026-11-21",
		Date:       time.Date(2026, 11, 22, 1, 30, 0, 0, time.FixedZone("CET", 3600)),
		MessageID:  "ispacct.acct-2026-11-21.smtp.0123abcd@cpe.example.net",
		Body:       "Accounting archive of the day 2026-11-21.\nÜmlaut and a long line " + strings.Repeat("x", 200) + "\n",
		Headers:    []mailer.Header{{Name: "X-Ispacct-Period", Value: "2026-11-21"}},
		Attachment: &mailer.Attachment{Path: path, Name: "acct-2026-11-21.zip", ContentType: "application/zip"},
	}
}

// TestMessageIsDeterministic: the outbox keeps rendered bytes and resends
// must be recognisable, so one Message always gives the same bytes, and
// a mail client reads back the same attachment and headers.
func TestMessageIsDeterministic(t *testing.T) {
	path, data := randomFile(t, "acct-2026-11-21.zip", 300_000)
	var a, b bytes.Buffer
	if _, err := testMessage(path).WriteTo(&a); err != nil {
		t.Fatal(err)
	}
	if _, err := testMessage(path).WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("two renderings of one message differ")
	}
	p, err := mailtest.Parse(a.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Header.Get("Message-ID"); got != "<ispacct.acct-2026-11-21.smtp.0123abcd@cpe.example.net>" {
		t.Errorf("Message-ID %q", got)
	}
	if got := p.Header.Get("Date"); got != "Sun, 22 Nov 2026 01:30:00 +0100" {
		t.Errorf("Date %q", got)
	}
	if p.Header.Get("X-Ispacct-Period") != "2026-11-21" || !strings.Contains(p.Body, "Ümlaut") {
		t.Errorf("header or body lost: %q %q", p.Header.Get("X-Ispacct-Period"), p.Body)
	}
	if !bytes.Equal(p.Attachments["acct-2026-11-21.zip"], data) {
		t.Fatalf("attachment differs: got %d bytes, want %d", len(p.Attachments["acct-2026-11-21.zip"]), len(data))
	}
	for _, line := range strings.Split(a.String(), "\r\n") {
		if len(line) > 998 {
			t.Fatalf("line longer than SMTP allows: %d", len(line))
		}
	}
}

func TestMessageMissingAttachment(t *testing.T) {
	m := testMessage(filepath.Join(t.TempDir(), "gone.zip"))
	if _, err := m.WriteTo(&bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "gone.zip") {
		t.Fatalf("a missing archive must be an error naming it, got %v", err)
	}
}

func TestSummaryText(t *testing.T) {
	s := &mailer.Summary{
		Kind: "day", Period: "2026-11-21", Host: "cpe",
		Archive: mailer.ArchiveInfo{Name: "acct-2026-11-21.zip", Bytes: 1037, SHA256: "dca227ea",
			Files: []mailer.FileRows{{Name: "proxy.asc", Rows: 13}, {Name: "http.asc"}, {Name: "mail.asc"}}},
		Encrypted: &mailer.EncryptedInfo{Name: "acct-2026-11-21.zip.age", Bytes: 1250, SHA256: "ffee"},
		Attached:  true,
		Rejects: mailer.RejectSummary{
			Files:   []mailer.RejectFile{{Path: "/var/log/squid/access.log.1", Source: "squid", Lines: 15, Rejects: 2}},
			Reasons: []mailer.ReasonCount{{Reason: "bad timestamp", Count: 2}},
		},
		Sections: []mailer.Section{{Title: "Top LANs", Lines: []string{"kunde1  12 MiB"}}},
	}
	text := s.Text()
	for _, want := range []string{
		"day 2026-11-21 from cpe", "acct-2026-11-21.zip  1037 bytes  sha256 dca227ea", "proxy.asc            13 rows",
		"age -d -i key.txt acct-2026-11-21.zip.age > acct-2026-11-21.zip",
		"2 of 15 lines", "2 x bad timestamp", "Top LANs\n--------\n  kunde1  12 MiB",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("body lacks %q:\n%s", want, text)
		}
	}
	s.Attached, s.Encrypted, s.Where = false, nil, []string{"/srv/archive/acct-2026-11-21.zip"}
	s.Archive.Bytes = 25 << 20
	text = s.Text()
	if !strings.Contains(text, "Not attached: at 25.0 MiB") || !strings.Contains(text, "  /srv/archive/acct-2026-11-21.zip") {
		t.Errorf("an unattached archive must say where it waits:\n%s", text)
	}
}
