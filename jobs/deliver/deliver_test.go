package deliver_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/ispacct/ispacct/config"
	"github.com/ispacct/ispacct/jobs/deliver"
	"github.com/ispacct/ispacct/jobs/ingest"
	"github.com/ispacct/ispacct/jobs/landefs"
	"github.com/ispacct/ispacct/jobs/report"
	"github.com/ispacct/ispacct/lock"
	"github.com/ispacct/ispacct/mailer/mailtest"
	"github.com/ispacct/ispacct/schema/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// env is a database holding the sample Squid log (plus one line that is
// rejected) and delivery options pointing at test folders.
type env struct {
	db  *pgtest.DB
	opt deliver.Options
	day report.Period
}

func setup(t *testing.T) *env {
	t.Helper()
	db := pgtest.New(t)
	ctx := context.Background()
	if _, _, err := landefs.ImportFile(ctx, db.Pool, "../../fixtures/landefs.txt", false); err != nil {
		t.Fatal(err)
	}
	sample, err := os.ReadFile("../../fixtures/squid/access.log")
	if err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(t.TempDir(), "access.log")
	os.WriteFile(log, append(sample, "this is no squid line\n"...), 0o644)
	if _, err := ingest.Run(ctx, db.Pool, ingest.Source{Name: "squid", Format: "squid", Files: []string{log}},
		ingest.Options{Loc: db.Loc, Log: pgtest.Log()}); err != nil {
		t.Fatal(err)
	}
	d, _ := report.ParseDate("2026-11-21", db.Loc)
	dir := t.TempDir()
	return &env{
		db:  db,
		day: report.Day(d, db.Loc),
		opt: deliver.Options{
			Mail: config.Mail{
				From: "ispacct@cpe.example.net", To: []string{mailtest.Admin}, MaxAttachMB: 10,
				RetryMin: 5 * time.Minute, RetryMax: time.Hour,
			},
			Report: report.Options{Loc: db.Loc, OutDir: filepath.Join(dir, "archive")}, Outbox: filepath.Join(dir, "outbox"),
			Host: "cpe.example.net", Log: pgtest.Log(),
		},
	}
}

func (e *env) withSMTP(pf *mailtest.Postfix) {
	e.opt.Mail.SMTP = config.SMTP{Host: "127.0.0.1", Port: pf.Port, Security: "none", Auth: "auto", Timeout: 10 * time.Second}
}

func (e *env) run(t *testing.T) *deliver.Result {
	t.Helper()
	res, err := deliver.Run(context.Background(), e.db.Pool, []report.Period{e.day}, e.opt)
	if err != nil {
		t.Fatalf("deliver: %v", err)
	}
	return res
}

func fileSHA(t *testing.T, path string) (string, []byte) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:]), b
}

func attachment(t *testing.T, raw []byte, name string) ([]byte, *mailtest.Parsed) {
	t.Helper()
	p, err := mailtest.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return p.Attachments[name], p
}

// TestDeliverBothChannels: a day's archive reaches a real SMTP server
// (Postfix) and, through the Maildir, a real POP3 server (Dovecot), and
// both attachments equal the archive. A second run sends nothing.
func TestDeliverBothChannels(t *testing.T) {
	e := setup(t)
	pf := mailtest.StartPostfix(t, mailtest.PostfixOptions{})
	dc := mailtest.StartDovecot(t)
	e.withSMTP(pf)
	e.opt.Mail.Maildir = dc.Maildir

	res := e.run(t)
	if err := res.Err(); err != nil {
		t.Fatalf("something waits: %v %+v", err, res.Waiting)
	}
	ar := res.Archives[0]
	if !ar.Built || len(ar.Queued) != 2 || len(res.Sent) != 2 {
		t.Fatalf("want the archive built and two messages sent: %+v", res)
	}
	sum, data := fileSHA(t, ar.Path)
	if sum != ar.SHA256 {
		t.Fatalf("result sha %s, file %s", ar.SHA256, sum)
	}

	msgs := pf.Received(1, 10*time.Second)
	if len(msgs) != 1 {
		t.Fatalf("SMTP server received %d messages, want 1", len(msgs))
	}
	got, p := attachment(t, msgs[0], "acct-2026-11-21.zip")
	if s := sha256.Sum256(got); hex.EncodeToString(s[:]) != sum {
		t.Fatalf("received attachment sha256 %x, archive %s", s, sum)
	}
	for _, want := range []string{"proxy.asc            13 rows", "sha256 " + sum, "1 of 16 lines", "1 x bad timestamp", dc.Maildir} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("body lacks %q:\n%s", want, p.Body)
		}
	}
	if mid := p.Header.Get("Message-ID"); !strings.HasPrefix(mid, "<ispacct.archive.acct-2026-11-21.smtp."+sum[:12]) {
		t.Errorf("Message-ID %q", mid)
	}

	pop, err := mailtest.POP3Fetch(dc.POP3, dc.User, dc.Password, false)
	if err != nil || len(pop) != 1 {
		t.Fatalf("pop3: %d messages, %v\n%s", len(pop), err, dc.Log())
	}
	if got, _ := attachment(t, pop[0], "acct-2026-11-21.zip"); !bytes.Equal(got, data) {
		t.Fatal("the attachment fetched over POP3 differs from the archive")
	}

	again := e.run(t)
	if again.Archives[0].Built || len(again.Archives[0].Queued) != 0 || len(again.Sent) != 0 || len(again.Archives[0].Known) != 2 {
		t.Fatalf("second run must send nothing: %+v", again)
	}
	if n := len(pf.Received(2, time.Second)); n != 1 {
		t.Fatalf("after the second run the server has %d messages, want 1", n)
	}
	if ents, _ := os.ReadDir(e.opt.Outbox); len(ents) != 0 {
		t.Fatalf("outbox not empty after delivery: %v", ents)
	}
}

// TestServerDownThenUp: with the server stopped the message waits in the
// outbox and the run says so; it is not retried before its backoff; once
// the server is back the next run delivers it, exactly once.
func TestServerDownThenUp(t *testing.T) {
	e := setup(t)
	pf := mailtest.StartPostfix(t, mailtest.PostfixOptions{})
	e.withSMTP(pf)
	pf.Stop()

	now := time.Now()
	e.opt.Now = func() time.Time { return now }
	res := e.run(t)
	var we *deliver.WaitingError
	if !errors.As(res.Err(), &we) || len(we.Waiting) != 1 {
		t.Fatalf("want one message waiting, got %v", res.Err())
	}
	w := we.Waiting[0]
	if w.Status != deliver.StatusPending || w.Attempts != 1 || !strings.Contains(w.LastError, "connection refused") ||
		!w.NextAttempt.Equal(now.Add(5*time.Minute).Truncate(time.Microsecond)) {
		t.Fatalf("waiting message: %+v", w)
	}
	if _, err := os.Stat(w.EMLPath); err != nil {
		t.Fatalf("the rendered message is not in the outbox: %v", err)
	}
	t.Logf("server down: %v; %s", res.Err(), w.LastError)

	res = e.run(t) // before the backoff: not tried
	if res.Waiting[0].Attempts != 1 {
		t.Fatalf("retried before its time: %+v", res.Waiting[0])
	}

	pf.Start()
	now = now.Add(6 * time.Minute)
	res = e.run(t)
	if res.Err() != nil || len(res.Sent) != 1 || res.Sent[0].Attempts != 2 {
		t.Fatalf("after the server is back: %v %+v", res.Err(), res.Sent)
	}
	e.run(t)
	pf.Received(1, 10*time.Second)
	time.Sleep(300 * time.Millisecond) // a second message would have arrived by now
	msgs := pf.Received(2, 0)
	if len(msgs) != 1 {
		t.Fatalf("the server received %d messages, want exactly 1", len(msgs))
	}
	sum, _ := fileSHA(t, res.Archives[0].Path)
	if got, _ := attachment(t, msgs[0], "acct-2026-11-21.zip"); hex.EncodeToString(sha(got)) != sum {
		t.Fatal("attachment differs from the archive")
	}
}

func sha(b []byte) []byte { s := sha256.Sum256(b); return s[:] }

// TestRefusedForGood: a 5xx is kept and listed, not retried; a resend to
// a fixed address delivers a new generation with the same Message-ID and
// supersedes the refused one. A 4xx is retried.
func TestRefusedForGood(t *testing.T) {
	e := setup(t)
	pf := mailtest.StartPostfix(t, mailtest.PostfixOptions{})
	e.withSMTP(pf)
	now := time.Now()
	e.opt.Now = func() time.Time { return now }
	e.opt.Mail.To = []string{mailtest.Reject}

	res := e.run(t)
	if len(res.Waiting) != 1 || res.Waiting[0].Status != deliver.StatusFailed || !strings.Contains(res.Waiting[0].LastError, "554") {
		t.Fatalf("5xx: %+v", res.Waiting)
	}
	if !strings.Contains(res.Err().Error(), "refused for good") {
		t.Fatalf("summary: %v", res.Err())
	}
	failed := res.Waiting[0]
	now = now.Add(48 * time.Hour)
	if res = e.run(t); res.Waiting[0].Attempts != 1 {
		t.Fatalf("a 5xx was retried: %+v", res.Waiting[0])
	}

	e.opt.Mail.To = []string{mailtest.Admin}
	res, err := deliver.Resend(context.Background(), e.db.Pool, []report.Period{e.day}, e.opt)
	if err != nil || res.Err() != nil || len(res.Sent) != 1 {
		t.Fatalf("resend: %v %v %+v", err, res.Err(), res)
	}
	if s := res.Sent[0]; s.Generation != 1 || s.MessageID != failed.MessageID {
		t.Fatalf("resent as %+v, want generation 1 and Message-ID %s", s, failed.MessageID)
	}
	hist, _ := deliver.History(context.Background(), e.db.Pool, 0)
	if len(hist) != 2 || hist[1].Status != deliver.StatusSuperseded {
		t.Fatalf("history: %+v", hist)
	}

	e.opt.Mail.To = []string{mailtest.TempFail}
	res, _ = deliver.Resend(context.Background(), e.db.Pool, []report.Period{e.day}, e.opt)
	if len(res.Waiting) != 1 || res.Waiting[0].Status != deliver.StatusPending || !strings.Contains(res.Waiting[0].LastError, "451") {
		t.Fatalf("4xx: %+v", res.Waiting)
	}
}

// TestTooLargeAndEncrypted: above max_attach_mb the mail carries only the
// summary and says where the archive waits; the Maildir copy carries it.
// With encryption the attachment decrypts with the age tool.
func TestTooLargeAndEncrypted(t *testing.T) {
	mailtest.Need(t, "age")
	e := setup(t)
	pf := mailtest.StartPostfix(t, mailtest.PostfixOptions{})
	e.withSMTP(pf)
	e.opt.Mail.Maildir = filepath.Join(t.TempDir(), "Maildir")
	id, _ := age.GenerateX25519Identity()
	e.opt.Mail.Encrypt.Recipients = []string{id.Recipient().String()}
	keyFile := filepath.Join(t.TempDir(), "key.txt")
	os.WriteFile(keyFile, []byte(id.String()+"\n"), 0o600)

	e.opt.Mail.MaxAttachMB = 0
	res := e.run(t)
	if res.Err() != nil || len(res.Sent) != 2 {
		t.Fatalf("%v %+v", res.Err(), res)
	}
	msgs := pf.Received(1, 10*time.Second)
	got, p := attachment(t, msgs[0], "acct-2026-11-21.zip.age")
	if got != nil || len(p.Attachments) != 0 {
		t.Fatalf("an archive above the limit was attached: %v", p.Attachments)
	}
	for _, want := range []string{"Not attached", e.opt.Mail.Maildir, res.Archives[0].Path} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("body does not say %q:\n%s", want, p.Body)
		}
	}

	e.opt.Mail.MaxAttachMB = 10
	res, err := deliver.Resend(context.Background(), e.db.Pool, []report.Period{e.day}, e.opt)
	if err != nil || res.Err() != nil {
		t.Fatal(err, res.Err())
	}
	msgs = pf.Received(2, 10*time.Second)
	if len(msgs) != 2 {
		t.Fatalf("%d messages", len(msgs))
	}
	var enc []byte
	for _, m := range msgs {
		if b, _ := attachment(t, m, "acct-2026-11-21.zip.age"); b != nil {
			enc = b
		}
	}
	if enc == nil {
		t.Fatal("no encrypted attachment arrived")
	}
	encFile := filepath.Join(t.TempDir(), "acct-2026-11-21.zip.age")
	os.WriteFile(encFile, enc, 0o644)
	out, err := exec.Command("age", "-d", "-i", keyFile, encFile).Output()
	if err != nil {
		t.Fatalf("age -d: %v", err)
	}
	_, data := fileSHA(t, res.Archives[0].Path)
	if !bytes.Equal(out, data) {
		t.Fatal("decrypted attachment differs from the archive")
	}
	// The Maildir copy stays on the box: plain, attached.
	ents, _ := filepath.Glob(filepath.Join(e.opt.Mail.Maildir, "new", "*"))
	if len(ents) != 2 {
		t.Fatalf("maildir has %d messages, want 2 (first delivery and resend)", len(ents))
	}
	raw, _ := os.ReadFile(ents[0])
	if got, _ := attachment(t, raw, "acct-2026-11-21.zip"); !bytes.Equal(got, data) {
		t.Fatal("maildir attachment differs")
	}
}

// TestNotifyFailure: the failure mail goes through the outbox: with the
// server down it waits, and a later run sends it.
func TestNotifyFailure(t *testing.T) {
	e := setup(t)
	pf := mailtest.StartPostfix(t, mailtest.PostfixOptions{})
	e.withSMTP(pf)
	e.opt.Mail.RetryMin = 0
	ctx := context.Background()
	pf.Stop()
	f := deliver.Failure{Job: "ingest", Err: errors.New("source squid: open \"/var/log/squid/access.log\": permission denied"),
		Command: "ispacct ingest --source squid"}
	d, err := deliver.NotifyFailure(ctx, e.db.Pool, e.opt, f)
	if err != nil || d.Status != deliver.StatusPending || d.Attempts != 1 {
		t.Fatalf("with the server down: %v %+v", err, d)
	}
	pf.Start()
	res, err := deliver.Flush(ctx, e.db.Pool, e.opt)
	if err != nil || len(res.Sent) != 1 || res.Err() != nil {
		t.Fatalf("flush: %v %+v", err, res)
	}
	msgs := pf.Received(1, 10*time.Second)
	_, p := attachment(t, msgs[0], "")
	if !strings.Contains(p.Header.Get("Subject"), "FAILED: ingest") || !strings.Contains(p.Body, "ispacct ingest --source squid") ||
		!strings.Contains(p.Body, "permission denied") {
		t.Fatalf("failure mail:\n%s\n%s", p.Header.Get("Subject"), p.Body)
	}
}

// TestLockAndInterruptedSend: a second run while one holds the lock gets
// *lock.HeldError; a message left "sending" by a dead run is sent again.
func TestLockAndInterruptedSend(t *testing.T) {
	e := setup(t)
	e.opt.Mail.Maildir = filepath.Join(t.TempDir(), "Maildir")
	ctx := context.Background()
	l, err := lock.Acquire(ctx, e.db.Pool, deliver.LockName, false)
	if err != nil {
		t.Fatal(err)
	}
	_, err = deliver.Run(ctx, e.db.Pool, []report.Period{e.day}, e.opt)
	var held *lock.HeldError
	if !errors.As(err, &held) {
		t.Fatalf("with the lock held: %v", err)
	}
	l.Release()

	res := e.run(t)
	if len(res.Sent) != 1 {
		t.Fatalf("%+v", res)
	}
	// A run died after the rename into new/, before recording it: the
	// row says "sending" and the outbox file is still there.
	d := res.Sent[0]
	eml, _ := os.ReadFile(filepath.Join(e.opt.Mail.Maildir, "new", filepath.Base(d.DeliveredAs)))
	os.MkdirAll(e.opt.Outbox, 0o755)
	os.WriteFile(d.EMLPath, eml, 0o644)
	if _, err := e.db.Pool.Exec(ctx, `UPDATE deliveries SET status = 'sending', sent_at = NULL WHERE id = $1`, d.ID); err != nil {
		t.Fatal(err)
	}
	res, err = deliver.Flush(ctx, e.db.Pool, e.opt)
	if err != nil || len(res.Sent) != 1 || res.Sent[0].Attempts != 2 {
		t.Fatalf("recovery: %v %+v", err, res)
	}
	if ents, _ := os.ReadDir(filepath.Join(e.opt.Mail.Maildir, "new")); len(ents) != 1 {
		t.Fatalf("the Maildir has %d messages, want 1: the recovered message was written twice", len(ents))
	}
}

func TestNothingConfigured(t *testing.T) {
	_, err := deliver.Flush(context.Background(), nil, deliver.Options{})
	var nc *deliver.NotConfiguredError
	if !errors.As(err, &nc) {
		t.Fatalf("err = %v", err)
	}
}

// TestMonthIntoMaildir: a month's archive goes the same way, named
// acct-YYYY-MM, and its summary counts the month's rows.
func TestMonthIntoMaildir(t *testing.T) {
	e := setup(t)
	e.opt.Mail.Maildir = filepath.Join(t.TempDir(), "Maildir")
	e.opt.Mail.To = nil
	month := report.Month(e.day.Start, e.db.Loc)
	res, err := deliver.Run(context.Background(), e.db.Pool, []report.Period{month}, e.opt)
	if err != nil || res.Err() != nil || len(res.Sent) != 1 {
		t.Fatalf("%v %v %+v", err, res.Err(), res)
	}
	raw, err := os.ReadFile(res.Sent[0].DeliveredAs)
	if err != nil {
		t.Fatal(err)
	}
	got, p := attachment(t, raw, "acct-2026-11.zip")
	_, data := fileSHA(t, res.Archives[0].Path)
	if !bytes.Equal(got, data) || !strings.Contains(p.Body, "month 2026-11") || !strings.Contains(p.Body, "proxy.asc            15 rows") {
		t.Fatalf("month message:\n%s", p.Body)
	}
	if p.Header.Get("To") != "<ispacct@cpe.example.net>" {
		t.Errorf("a Maildir-only setup addresses the message to the sender, got %q", p.Header.Get("To"))
	}
}
