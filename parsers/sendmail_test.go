package parsers

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ispacct/ispacct/fixtures/gen"
)

func TestSendmailFixture(t *testing.T) {
	var out bytes.Buffer
	m := NewSendmail(MailOptions{Location: berlin, Reference: fixtureRef})
	feedMail(t, m, "../fixtures/sendmail/maillog", &out)
	dumpState(&out, m.State())
	dumpStats(&out, m.Stats())
	golden(t, "../fixtures/sendmail/maillog.golden", out.Bytes())
}

func newTestSendmail() *MailLog {
	return NewSendmail(MailOptions{Location: berlin, Reference: fixtureRef})
}

func TestSendmailMultiRecipient(t *testing.T) {
	got := mailLines(newTestSendmail(), `Nov 21 08:10:01 oldbox sm-mta[1]: 5AL7A001004010: from=<news@sender.example>, size=10240, class=0, nrcpts=3, msgid=<m@sender.example>, proto=ESMTP, daemon=MTA-v4, relay=mail.sender.example [198.51.100.20]
		Nov 21 08:10:02 oldbox sm-mta[2]: 5AL7A001004010: to=<anna@kunde.example>,<"b, c"@kunde.example>, delay=00:00:01, xdelay=00:00:00, mailer=local, pri=160240, dsn=2.0.0, stat=Sent
		Nov 21 08:10:03 oldbox sm-mta[2]: 5AL7A001004010: to=carol@partner.example, delay=00:00:02, xdelay=00:00:01, mailer=esmtp, pri=160240, relay=mx.partner.example. [203.0.113.5], dsn=2.0.0, stat=Sent (5AL7A003012345 Message accepted for delivery)`)
	wantLines(t, got,
		"m@sender.example|anna@kunde.example|news@sender.example|local|10240|||sent|2026-11-21T07:10:02Z ~ qid=5AL7A001004010 orig_to= dsn=2.0.0 delay=1s text=Sent",
		`m@sender.example|"b, c"@kunde.example|news@sender.example|local|10240|||sent|2026-11-21T07:10:02Z ~ qid=5AL7A001004010 orig_to= dsn=2.0.0 delay=1s text=Sent`,
		"m@sender.example|carol@partner.example|news@sender.example|esmtp|10240|5AL7A003012345|mx.partner.example. [203.0.113.5]|sent|2026-11-21T07:10:03Z ~ qid=5AL7A001004010 orig_to= dsn=2.0.0 delay=2s text=Sent (5AL7A003012345 Message accepted for delivery)")
}

func TestSendmailBouncedDeferredExpired(t *testing.T) {
	m := newTestSendmail()
	got := mailLines(m, `Nov 16 10:00:00 oldbox sm-mta[1]: 5AG9A0Ff003000: from=<billing@kunde3.example>, size=65536, class=0, nrcpts=2, msgid=<invoice-42@kunde3.example>, proto=ESMTP, daemon=MTA-v4, relay=[10.4.24.81]
		Nov 16 10:00:30 oldbox sm-mta[2]: 5AG9A0Ff003000: to=<a@dead.example>,<b@dead.example>, delay=00:00:30, xdelay=00:00:30, mailer=esmtp, pri=155536, relay=mx.dead.example. [192.0.2.99], dsn=4.0.0, stat=Deferred: Connection timed out with mx.dead.example.
		Nov 17 10:00:30 oldbox sm-mta[3]: 5AG9A0Ff003000: to=<b@dead.example>, delay=1+00:00:30, xdelay=00:00:01, mailer=esmtp, pri=255536, relay=mx.dead.example. [192.0.2.99], dsn=5.1.1, stat=User unknown
		Nov 21 10:00:30 oldbox sm-mta[4]: 5AG9A0Ff003000: 5AL90030005000: DSN: Cannot send message for 5 days
		Nov 21 10:00:30 oldbox sm-mta[4]: 5AL90030005000: to=<billing@kunde3.example>, delay=00:00:00, xdelay=00:00:00, mailer=esmtp, pri=30000, relay=[10.4.24.81] [10.4.24.81], dsn=2.0.0, stat=Sent (Ok: queued as 1Q2W3E4R5T)`)
	const head = "invoice-42@kunde3.example|"
	wantLines(t, got,
		head+"a@dead.example|billing@kunde3.example|esmtp|65536||mx.dead.example. [192.0.2.99]|deferred|2026-11-16T09:00:30Z ~ qid=5AG9A0Ff003000 orig_to= dsn=4.0.0 delay=30s text=Deferred: Connection timed out with mx.dead.example.",
		head+"b@dead.example|billing@kunde3.example|esmtp|65536||mx.dead.example. [192.0.2.99]|deferred|2026-11-16T09:00:30Z ~ qid=5AG9A0Ff003000 orig_to= dsn=4.0.0 delay=30s text=Deferred: Connection timed out with mx.dead.example.",
		head+"b@dead.example|billing@kunde3.example|esmtp|65536||mx.dead.example. [192.0.2.99]|bounced|2026-11-17T09:00:30Z ~ qid=5AG9A0Ff003000 orig_to= dsn=5.1.1 delay=24h0m30s text=User unknown",
		head+"a@dead.example|billing@kunde3.example|esmtp|65536|||expired|2026-11-21T09:00:30Z ~ qid=5AG9A0Ff003000 orig_to= dsn= delay=0s text=Cannot send message for 5 days",
		"|billing@kunde3.example|<>|esmtp|0|1Q2W3E4R5T|[10.4.24.81] [10.4.24.81]|sent|2026-11-21T09:00:30Z ~ qid=5AL90030005000 orig_to= dsn=2.0.0 delay=0s text=Sent (Ok: queued as 1Q2W3E4R5T)")
	st := m.State()
	if len(st.Open) != 2 || !st.Open[0].Complete || !st.Open[1].Complete {
		t.Fatalf("state %+v", st.Open)
	}
	// An hour later the complete messages are gone, without counting as dropped.
	m.Parse([]byte("Nov 21 11:00:31 oldbox sm-mta[5]: STARTTLS=server, relay=[10.4.24.81]"))
	if st := m.State(); len(st.Open) != 0 || m.Stats().Dropped != 0 {
		t.Fatalf("open %d dropped %d", len(st.Open), m.Stats().Dropped)
	}
}

// TestSendmailDeferredThenSentAcrossRuns: the first attempt in one run,
// the delivery in the next, with the state kept between them.
func TestSendmailDeferredThenSentAcrossRuns(t *testing.T) {
	m := newTestSendmail()
	got := mailLines(m, `Nov 21 09:00:00 oldbox sm-mta[1]: 5AL80000004030: from=<shop@kunde2.example>, size=4096, class=0, nrcpts=1, msgid=<g@kunde2.example>, proto=ESMTP, daemon=MTA-v4, relay=[10.4.24.80]
		Nov 21 09:00:01 oldbox sm-mta[2]: 5AL80000004030: to=<orders@partner.example>, delay=00:00:01, xdelay=00:00:01, mailer=esmtp, pri=124096, relay=mx.partner.example. [203.0.113.5], dsn=4.7.1, stat=Deferred: 451 4.7.1 Greylisted`)
	m = NewSendmail(MailOptions{Location: berlin, Reference: fixtureRef, State: roundTrip(t, m.State())})
	got = append(got, mailLines(m, `Nov 21 09:30:00 oldbox sm-mta[3]: 5AL80000004030: to=<orders@partner.example>, delay=00:30:00, xdelay=00:00:02, mailer=esmtp, pri=214096, relay=mx.partner.example. [203.0.113.5], dsn=2.0.0, stat=Sent (Ok: queued as 5X6Y7Z)`)...)
	wantLines(t, got,
		"g@kunde2.example|orders@partner.example|shop@kunde2.example|esmtp|4096||mx.partner.example. [203.0.113.5]|deferred|2026-11-21T08:00:01Z ~ qid=5AL80000004030 orig_to= dsn=4.7.1 delay=1s text=Deferred: 451 4.7.1 Greylisted",
		"g@kunde2.example|orders@partner.example|shop@kunde2.example|esmtp|4096|5X6Y7Z|mx.partner.example. [203.0.113.5]|sent|2026-11-21T08:30:00Z ~ qid=5AL80000004030 orig_to= dsn=2.0.0 delay=30m0s text=Sent (Ok: queued as 5X6Y7Z)")
}

func TestRemoteID(t *testing.T) {
	for text, want := range map[string]string{
		"250 2.0.0 Ok: queued as 4ByZZ1kLmN2q":                                           "4ByZZ1kLmN2q",
		"Sent (Ok: queued as ABC123)":                                                    "ABC123",
		"Sent (5AL7A003012345 Message accepted for delivery)":                            "5AL7A003012345",
		"250 2.0.0 5AL7A003012345 Message accepted for delivery":                         "5AL7A003012345",
		"250 2.0.0 Message accepted for delivery":                                        "",
		"250 OK id=1kXYZ9-0001Ab-Cd":                                                     "1kXYZ9-0001Ab-Cd",
		"250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as 7F3E2D1C0B": "7F3E2D1C0B",
		"delivered to mailbox":                                                           "",
		"250 2.0.0 OK  1700000000 a1-20020a05.123 - gsmtp":                               "",
	} {
		if got := remoteID(text); got != want {
			t.Errorf("remoteID(%q) = %q, want %q", text, got, want)
		}
	}
}

func FuzzSendmail(f *testing.F) {
	data, err := os.ReadFile("../fixtures/sendmail/maillog")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data, uint8(11))
	for line := range bytes.Lines(data) {
		f.Add(line, uint8(0))
	}
	f.Add([]byte("Jun 17 14:37:40 <mail.info> robin sm-mta[2795]: 5AL70001004000: to=<b@b.example>, delay=00:00:01, mailer=esmtp, dsn=2.0.0, stat=Sent (ok)\n\n"), uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, cut uint8) {
		fuzzMail(t, NewSendmail, data, int(cut))
	})
}

func BenchmarkSendmail(b *testing.B) {
	benchMail(b, NewSendmail, gen.Sendmail)
}

// TestMailGenerated runs the synthetic logs through their parsers: no
// rejects, and every delivery line gives its rows.
func TestMailGenerated(t *testing.T) {
	for _, tt := range []struct {
		name  string
		write func(w *bytes.Buffer) error
		log   func(MailOptions) *MailLog
	}{
		{"postfix", func(w *bytes.Buffer) error { return gen.Postfix(w, 20000, 7) }, NewPostfix},
		{"sendmail", func(w *bytes.Buffer) error { return gen.Sendmail(w, 20000, 7) }, NewSendmail},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := tt.write(&buf); err != nil {
				t.Fatal(err)
			}
			m := tt.log(MailOptions{Location: berlin, Reference: time.Date(2026, 12, 1, 0, 0, 0, 0, berlin)})
			deliveries := 0
			for line := range strings.Lines(buf.String()) {
				if strings.Contains(line, ": to=") {
					deliveries++
				}
				if _, err := m.Parse([]byte(strings.TrimSuffix(line, "\n"))); err != nil {
					t.Fatalf("%v: %s", err, line)
				}
			}
			s := m.Stats()
			if s.Lines != 20000 || s.Rows < int64(deliveries) || s.Rejected != 0 {
				t.Fatalf("stats %+v, %d delivery lines", s, deliveries)
			}
		})
	}
}
