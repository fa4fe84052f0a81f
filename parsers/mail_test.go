package parsers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the fixtures' zone, independent of the machine
)

var berlin = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		panic(err)
	}
	return loc
}()

// fixtureRef is the modification time of the sample logs: the morning
// after their last day.
var fixtureRef = time.Date(2026, 11, 22, 6, 0, 0, 0, berlin)

// dumpMail writes a row in mail.asc order (msgid|m_to|m_from|m_mailer|
// m_size|m_remote_id|m_relay|m_status|zeit), then the extra fields.
func dumpMail(r *Mail) string {
	return fmt.Sprintf("%s|%s|%s|%s|%d|%s|%s|%s|%s ~ qid=%s orig_to=%s dsn=%s delay=%s text=%s",
		r.Msgid, r.To, r.From, r.Mailer, r.Size, r.RemoteID, r.Relay, r.Status, r.Zeit.Format(time.RFC3339Nano),
		r.QueueID, r.OrigTo, r.DSN, r.Delay, r.StatusText)
}

func dumpState(w *bytes.Buffer, st MailState) {
	fmt.Fprintf(w, "clock %s, %d open\n", st.Clock.Format(time.RFC3339Nano), len(st.Open))
	for _, om := range st.Open {
		fmt.Fprintf(w, "open %s msgid=%s from=%s size=%d nrcpt=%d first=%s last=%s received=%t cleaned=%t queued=%t attempts=%d final=%d complete=%t pending=%v\n",
			om.QueueID, om.MsgID, om.From, om.Size, om.NRcpt, om.First.Format(time.RFC3339), om.Last.Format(time.RFC3339),
			om.Received, om.Cleaned, om.Queued, om.Attempts, om.Final, om.Complete, om.Pending)
	}
}

func dumpStats(w *bytes.Buffer, s MailStats) {
	fmt.Fprintf(w, "stats lines=%d used=%d ignored=%d rejected=%d rows=%d reused=%d dropped=%d\n",
		s.Lines, s.Used, s.Ignored, s.Rejected, s.Rows, s.Reused, s.Dropped)
}

// feedMail runs the lines of a file through m and writes rows and rejects.
func feedMail(t testing.TB, m *MailLog, path string, out *bytes.Buffer) {
	eachLine(t, path, func(n int64, line []byte) {
		rows, err := m.Parse(line)
		if err != nil {
			fmt.Fprintf(out, "%d: reject: %s\n", n, Reason(err))
			return
		}
		for i := range rows {
			fmt.Fprintf(out, "%d: %s\n", n, dumpMail(&rows[i]))
		}
	})
}

// mailLines runs text through m and returns the rows, one dump a line,
// and the rejects as "reject: reason".
func mailLines(m *MailLog, text string) []string {
	var got []string
	for line := range strings.SplitSeq(strings.TrimSuffix(text, "\n"), "\n") {
		rows, err := m.Parse([]byte(strings.TrimLeft(line, "\t")))
		if err != nil {
			got = append(got, "reject: "+Reason(err))
		}
		for i := range rows {
			got = append(got, dumpMail(&rows[i]))
		}
	}
	return got
}

func wantLines(t *testing.T, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// roundTrip sends a state through JSON, the way the caller keeps it in the
// database between runs.
func roundTrip(t testing.TB, st MailState) MailState {
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	var back MailState
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	return back
}

func TestSyslogDateYear(t *testing.T) {
	tests := []struct {
		ref        time.Time
		mon        time.Month
		day, h     int
		want       string
		wantFailed bool
	}{
		{time.Date(2027, 1, 2, 6, 0, 0, 0, berlin), time.December, 31, 23, "2026-12-31T23:00:00+01:00", false},
		{time.Date(2027, 1, 2, 6, 0, 0, 0, berlin), time.January, 1, 0, "2027-01-01T00:00:00+01:00", false},
		{time.Date(2027, 1, 2, 6, 0, 0, 0, berlin), time.January, 3, 5, "2027-01-03T05:00:00+01:00", false}, // clock a day ahead
		{time.Date(2027, 1, 2, 6, 0, 0, 0, berlin), time.January, 3, 7, "2026-01-03T07:00:00+01:00", false}, // more than a day ahead
		{time.Date(2026, 11, 22, 6, 0, 0, 0, berlin), time.November, 21, 8, "2026-11-21T08:00:00+01:00", false},
		{time.Date(2026, 11, 22, 6, 0, 0, 0, berlin), time.July, 1, 8, "2026-07-01T08:00:00+02:00", false},
		{time.Date(2027, 3, 1, 6, 0, 0, 0, berlin), time.February, 29, 8, "2024-02-29T08:00:00+01:00", false},
		{time.Date(2028, 3, 1, 6, 0, 0, 0, berlin), time.February, 29, 8, "2028-02-29T08:00:00+01:00", false},
	}
	for _, tt := range tests {
		got, ok := syslogDate(tt.mon, tt.day, tt.h, 0, 0, 0, tt.ref, berlin)
		if !ok {
			t.Errorf("%s %d: failed", tt.mon, tt.day)
			continue
		}
		if s := got.In(berlin).Format(time.RFC3339); s != tt.want {
			t.Errorf("%s %d %02d:00 with reference %s: got %s, want %s", tt.mon, tt.day, tt.h, tt.ref, s, tt.want)
		}
	}
}

func TestSyslogHeader(t *testing.T) {
	tests := []struct{ line, want string }{
		{"Nov 21 13:45:12 mx postfix/smtp[123]: 4B: x", "2026-11-21T12:45:12Z|mx|postfix/smtp|123|4B: x"},
		{"Nov  1 13:45:12 mx postfix/smtp[123]: m", "2026-11-01T12:45:12Z|mx|postfix/smtp|123|m"},
		{"Nov 01 13:45:12 postfix/smtp[123]: m", "2026-11-01T12:45:12Z||postfix/smtp|123|m"},
		{"Nov 1 13:45:12 mx postfix/smtp[123]: m", "2026-11-01T12:45:12Z|mx|postfix/smtp|123|m"},
		{"Nov 1 13:45:12.5 mx postfix/smtp[123]: m", "2026-11-01T12:45:12.5Z|mx|postfix/smtp|123|m"},
		{"Nov 0 13:45:12 mx a: b", "reject: bad syslog timestamp"},
		{"Nov 1 13:45:1 mx a: b", "reject: bad syslog timestamp"},
		{"Nov 21 13:45:12.250 mx kernel: m", "2026-11-21T12:45:12.25Z|mx|kernel||m"},
		{"2026-11-21T13:45:12.123456+01:00 mx postfix/qmgr[1]: m", "2026-11-21T12:45:12.123456Z|mx|postfix/qmgr|1|m"},
		{"2026-11-21T13:45:12+0100 mx postfix/qmgr[1]: m", "2026-11-21T12:45:12Z|mx|postfix/qmgr|1|m"},
		{"2026-11-21T12:45:12Z postfix/qmgr[1]:", "2026-11-21T12:45:12Z||postfix/qmgr|1|"},
		{"Nov 21 13:45:12 mx -- MARK --", "2026-11-21T12:45:12Z|mx|||-- MARK --"},
		{"Nov 21 13:45:12", "2026-11-21T12:45:12Z||||"},
		{"Nov 31 13:45:12 mx a: b", "reject: bad syslog timestamp"},
		{"Nov 21 24:45:12 mx a: b", "reject: bad syslog timestamp"},
		{"Nov 21 13:45:12x mx a: b", "reject: bad syslog timestamp"},
		{"2026-11-21 13:45:12 mx a: b", "reject: bad syslog timestamp"},
		{"hello", "reject: bad syslog timestamp"},
		{"", "reject: bad syslog timestamp"},
		// FreeBSD's syslogd -v and -vv put the priority before the host.
		{"Jun 17 14:37:39 <mail.info> robin sm-mta[2794]: m", "2026-06-17T12:37:39Z|robin|sm-mta|2794|m"},
		{"Jun 17 14:37:39 <2.6> robin sm-mta[2794]: m", "2026-06-17T12:37:39Z|robin|sm-mta|2794|m"},
		{"Jun 17 14:37:39 <mail.info> postfix/smtp[1]: m", "2026-06-17T12:37:39Z||postfix/smtp|1|m"},
		// An RFC 3164 priority at the start of the line.
		{"<22>Nov 21 13:45:12 mx postfix/smtp[123]: m", "2026-11-21T12:45:12Z|mx|postfix/smtp|123|m"},
		{"<22>2026-11-21T13:45:12+01:00 mx postfix/smtp[123]: m", "2026-11-21T12:45:12Z|mx|postfix/smtp|123|m"},
		{"<22 Nov 21 13:45:12 mx a: b", "reject: bad syslog timestamp"},
		{"<>Nov 21 13:45:12 mx a: b", "reject: bad syslog timestamp"},
		{"<1><2>Nov 21 13:45:12 mx a: b", "reject: bad syslog timestamp"},
	}
	var c syslogClock
	c.setRef(fixtureRef, berlin)
	for _, tt := range tests {
		var h syslogHeader
		got := ""
		if err := c.header([]byte(tt.line), &h); err != nil {
			got = "reject: " + Reason(err)
		} else {
			got = fmt.Sprintf("%s|%s|%s|%s|%s", h.Time.Format(time.RFC3339Nano), h.Host, h.Tag, h.PID, h.Msg)
		}
		if got != tt.want {
			t.Errorf("header(%q)\n got  %s\n want %s", tt.line, got, tt.want)
		}
	}
}

// TestMailYearRollover reads a message that crosses New Year in a file
// last written on January 1st: the December lines are last year's, and
// the row carries the sender from December.
func TestMailYearRollover(t *testing.T) {
	m := NewPostfix(MailOptions{Location: berlin, Reference: time.Date(2027, 1, 1, 6, 0, 0, 0, berlin)})
	got := mailLines(m, `Dec 31 23:59:58 mx postfix/smtpd[1]: 1A2B3C4D5E: client=unknown[10.4.24.77]
		Dec 31 23:59:58 mx postfix/cleanup[2]: 1A2B3C4D5E: message-id=<newyear@kunde.example>
		Dec 31 23:59:59 mx postfix/qmgr[3]: 1A2B3C4D5E: from=<anna@kunde.example>, size=42, nrcpt=1 (queue active)
		Jan  1 00:00:02 mx postfix/smtp[4]: 1A2B3C4D5E: to=<bob@remote.example>, relay=mx.remote.example[192.0.2.25]:25, delay=4, delays=1/0/1/2, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 9F8E7D6C5B)`)
	wantLines(t, got,
		"newyear@kunde.example|bob@remote.example|anna@kunde.example|smtp|42|9F8E7D6C5B|mx.remote.example[192.0.2.25]:25|sent|2026-12-31T23:00:02Z ~ qid=1A2B3C4D5E orig_to= dsn=2.0.0 delay=4s text=250 2.0.0 Ok: queued as 9F8E7D6C5B")
	st := m.State()
	if len(st.Open) != 1 || st.Open[0].First.In(berlin).Year() != 2026 {
		t.Fatalf("open state %+v", st.Open)
	}
}

// TestMailPriorityAndBlank reads Postfix and Sendmail deliveries whose
// lines carry a syslogd -v priority, among blank lines: every delivery is
// a row, and a blank line is neither a row nor a reject.
func TestMailPriorityAndBlank(t *testing.T) {
	for _, tt := range []struct {
		name  string
		new   func(MailOptions) *MailLog
		lines []string
		rows  []string // m_to|m_status
	}{
		{"postfix", NewPostfix, []string{
			"Nov 21 08:00:01 <mail.info> mx postfix/smtpd[1]: 1A2B3C4D5E: client=a.example[192.0.2.1]",
			"",
			"Nov 21 08:00:01 <mail.info> mx postfix/qmgr[2]: 1A2B3C4D5E: from=<a@a.example>, size=100, nrcpt=1 (queue active)",
			" \t",
			"Nov 21 08:00:02 <2.6> mx postfix/smtp[3]: 1A2B3C4D5E: to=<b@b.example>, relay=b.example[192.0.2.2]:25, delay=1, dsn=2.0.0, status=sent (250 ok)",
			"Nov 21 08:00:02 <mail.info> mx postfix/qmgr[2]: 1A2B3C4D5E: removed",
			"",
		}, []string{"b@b.example|sent"}},
		{"sendmail", NewSendmail, []string{
			"Nov 21 14:37:39 <mail.info> robin sm-mta[2794]: 5AL70001004000: from=<a@a.example>, size=100, class=0, nrcpts=1, msgid=<m@a>, proto=ESMTP, daemon=MTA, relay=a [192.0.2.1]",
			"",
			"Nov 21 14:37:40 <mail.info> robin sm-mta[2795]: 5AL70001004000: to=<b@b.example>, delay=00:00:01, xdelay=00:00:01, mailer=esmtp, pri=1, relay=b. [192.0.2.2], dsn=2.0.0, stat=Sent (ok)",
			"",
		}, []string{"b@b.example|sent"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := tt.new(MailOptions{Location: berlin, Reference: fixtureRef})
			var got []string
			for _, line := range tt.lines {
				rows, err := m.Parse([]byte(line))
				if err != nil {
					t.Fatalf("%q: %v", line, err)
				}
				for _, r := range rows {
					got = append(got, r.To+"|"+r.Status)
				}
			}
			if strings.Join(got, " ") != strings.Join(tt.rows, " ") {
				t.Errorf("rows %v, want %v", got, tt.rows)
			}
			st := m.Stats()
			if st.Rejected != 0 || st.Lines != int64(len(tt.lines)) || st.Lines != st.Used+st.Ignored+st.Rejected {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

// TestMailOwnLines: the lines of the MTA's own programs are counted, so
// that a log without one (another file, or another syslog format) can be
// told from a quiet day.
func TestMailOwnLines(t *testing.T) {
	for _, tt := range []struct {
		name string
		log  *MailLog
		line string
		own  int64
	}{
		{"postfix", NewPostfix(MailOptions{}), "Nov 21 13:45:12 mx postfix/qmgr[812]: 4F2A51C0: removed", 1},
		{"postfix, other program", NewPostfix(MailOptions{}), "Nov 21 13:45:12 mx kernel: eth1 up", 0},
		{"sendmail", NewSendmail(MailOptions{}), "Nov 21 13:45:12 mx sm-mta[2794]: xAL1: from=<a@b>, size=1", 1},
		{"sendmail, other program", NewSendmail(MailOptions{}), "Nov 21 13:45:12 mx sshd[12]: Accepted key", 0},
	} {
		tt.log.Parse([]byte(tt.line))
		if got := tt.log.Stats().Own; got != tt.own {
			t.Errorf("%s: Own = %d, want %d", tt.name, got, tt.own)
		}
	}
}
