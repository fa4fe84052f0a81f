package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ispacct/ispacct/jobs/deliver"
	"github.com/ispacct/ispacct/mailer/mailtest"
	"github.com/ispacct/ispacct/schema/pgtest"
)

// TestDeliverCommands: the acceptance path end to end. With the SMTP
// server stopped, deliver exits 3 and the message waits in the outbox;
// once the server is up, the next run delivers it exactly once, and the
// attachment's sha256 is the archive's. A second deliver sends nothing;
// resend sends again.
func TestDeliverCommands(t *testing.T) {
	dir := isolate(t)
	db := pgtest.New(t)
	pf := mailtest.StartPostfix(t, mailtest.PostfixOptions{})
	t.Setenv("ISPACCT_TIMEZONE", "Europe/Berlin")
	sample := fixturesDir
	cfg := filepath.Join(dir, "ispacct.toml")
	os.WriteFile(cfg, []byte(anyAge+source("squid", "squid", sample+"/squid/access.log*")+fmt.Sprintf(`[report]
out_dir = "out"
[mail]
to = ["%s"]
from = "ispacct@cpe.example.net"
retry_min = "0s"
[mail.smtp]
host = "127.0.0.1"
port = %d
security = "none"
timeout = "5s"
`, mailtest.Admin, pf.Port)), 0o644)
	base := []string{"--config", cfg, "--db", db.ConnString}
	for _, s := range [][]string{{"landefs", "import", sample + "/landefs.txt"}, {"ingest"}} {
		if code, out, stderr := ispacct(t, append(s, base...)...); code != 0 {
			t.Fatalf("ispacct %v: exit %d\n%s%s", s, code, out, stderr)
		}
	}

	pf.Stop()
	code, out, stderr := ispacct(t, append([]string{"deliver", "--from", "2026-11-21"}, base...)...)
	if code != exitPartial || !strings.Contains(stderr, "1 message waits in the outbox") || !strings.Contains(out, "connection refused") {
		t.Fatalf("server down: exit %d\n%s%s; want 3 and the message waiting", code, out, stderr)
	}
	t.Logf("server down:\n%s%s", out, stderr)
	code, out, _ = ispacct(t, append([]string{"outbox", "--json"}, base...)...)
	var waiting []deliver.Delivery
	if err := json.Unmarshal([]byte(out), &waiting); err != nil || code != 0 || len(waiting) != 1 || waiting[0].Status != "pending" {
		t.Fatalf("outbox --json: exit %d %v\n%s", code, err, out)
	}
	if _, err := os.Stat(waiting[0].EMLPath); err != nil || !strings.HasPrefix(waiting[0].EMLPath, filepath.Join(dir, "state", "outbox")) {
		t.Fatalf("message not kept in <state_dir>/outbox: %q %v", waiting[0].EMLPath, err)
	}

	pf.Start()
	code, out, stderr = ispacct(t, append([]string{"deliver"}, base...)...)
	if code != 0 || !strings.Contains(out, "1 sent, 0 waiting") {
		t.Fatalf("server up: exit %d\n%s%s", code, out, stderr)
	}
	t.Logf("server up:\n%s", out)
	code, out, stderr = ispacct(t, append([]string{"deliver", "--from", "2026-11-21"}, base...)...)
	if code != 0 || !strings.Contains(out, "0 sent, 0 waiting") || !strings.Contains(out, "'ispacct resend' sends it again") {
		t.Fatalf("second deliver must send nothing: exit %d\n%s%s", code, out, stderr)
	}
	pf.Received(1, 10*time.Second)
	time.Sleep(300 * time.Millisecond) // a second message would have arrived by now
	msgs := pf.Received(2, 0)
	if len(msgs) != 1 {
		t.Fatalf("the server received %d messages, want exactly 1", len(msgs))
	}
	p, err := mailtest.Parse(msgs[0])
	if err != nil {
		t.Fatal(err)
	}
	archive, _ := os.ReadFile(filepath.Join(dir, "out", "acct-2026-11-21.zip"))
	if string(p.Attachments["acct-2026-11-21.zip"]) != string(archive) || len(archive) == 0 {
		t.Fatal("the received attachment is not the archive")
	}

	code, out, stderr = ispacct(t, append([]string{"resend", "--from", "2026-11-21"}, base...)...)
	if code != 0 || !strings.Contains(out, "1 sent") {
		t.Fatalf("resend: exit %d\n%s%s", code, out, stderr)
	}
	if n := len(pf.Received(2, 10*time.Second)); n != 2 {
		t.Fatalf("after resend the server has %d messages, want 2", n)
	}
	code, out, _ = ispacct(t, append([]string{"outbox", "--all"}, base...)...)
	if code != 0 || strings.Count(out, "sent #") != 2 {
		t.Fatalf("outbox --all: exit %d\n%s", code, out)
	}
}

func TestDeliverUsage(t *testing.T) {
	dir := isolate(t)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"deliver", "--from", "2026-11-21"}, "no delivery configured"},
		{[]string{"deliver", "--to", "2026-11-21"}, "--from is required"},
		{[]string{"resend"}, "--from is required"},
		{[]string{"resend", "--from", "2026-11-02", "--to", "2026-11-01"}, "is after"},
		{[]string{"outbox", "--limit", "-1"}, "--limit -1"},
	}
	for _, tt := range tests {
		code, _, stderr := ispacct(t, tt.args...)
		if code != exitUsage || !strings.Contains(stderr, tt.want) {
			t.Errorf("ispacct %v: exit %d, %q; want 2 and %q", tt.args, code, stderr, tt.want)
		}
	}
	// The SMTP password never shows in 'ispacct config'.
	cfg := filepath.Join(dir, "c.toml")
	os.WriteFile(cfg, []byte("[mail]\nto = [\"a@example.net\"]\n[mail.smtp]\nhost = \"mx.example.net\"\nusername = \"u\"\n"), 0o644)
	t.Setenv("ISPACCT_SMTP_PASSWORD", "s3cret-pw")
	code, out, stderr := ispacct(t, "config", "--config", cfg)
	if code != 0 || strings.Contains(out+stderr, "s3cret-pw") {
		t.Fatalf("config: exit %d, password shown or error:\n%s%s", code, out, stderr)
	}
}
