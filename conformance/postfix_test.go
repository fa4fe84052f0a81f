package conformance

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/smtp"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ispacct/ispacct/mailer/mailtest"
	"github.com/ispacct/ispacct/schema/pgtest"
)

// mailDomain is the test Postfix's local domain: mail to it is "in".
const mailDomain = mailtest.Domain

// Recipients, by what happens to their mail (the remote ones by what the
// test's sink answers).
const (
	remoteDomain = "remote.test"
	deferOnce    = "later@" + remoteDomain      // 451 at the first RCPT, accepted at the next
	bounceRcpt   = "nobody@" + remoteDomain     // 550: bounced, and a notice goes back
	neverRcpt    = "never@" + remoteDomain      // 451 always: expires, and a notice goes back
	aliasRcpt    = "team@" + mailDomain         // a virtual alias: admin and fan@remote.test
	quotedRcpt   = `"doe, x=1"@` + remoteDomain // a quoted local part with a blank, a comma and an =, as parsers read past
)

// TestPostfix sends mail through a private Postfix with long queue ids
// that delivers locally and relays to an SMTP sink of the test's own, and
// checks ispacct's rows (one per recipient delivery attempt) and mailbox
// aggregates against the server's maillog_file, counted by gawk.
func TestPostfix(t *testing.T) {
	need(t, "/usr/sbin/postfix", "/usr/lib/postfix/sbin/master")
	// The log has local times without a zone, read in the configured
	// one: Postfix and the database both in India (+0530).
	loc, err := time.LoadLocation("Asia/Kolkata")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("TZ", loc.String())
	sink := startSink(t)
	pf := mailtest.StartPostfix(t, mailtest.PostfixOptions{Main: fmt.Sprintf(`
enable_long_queue_ids = yes
# Domains the error and retry delivery agents answer for.
transport_maps = inline:{ { dead.test = error:5.1.2 no such domain }, { slow.test = retry:4.4.1 not now } }
# Addresses in UTF-8 (RFC 6531).
smtputf8_enable = yes
# An alias that expands to a local and a remote address (orig_to=).
virtual_alias_maps = inline:{ { %[2]s = %[3]s, fan@%[4]s } }
# Everything not local goes to the test's sink.
default_transport = smtp
relay_transport = smtp
relayhost = [127.0.0.1]:%[1]d
smtp_tls_security_level = none
# A deferred message is tried again within seconds, and given up soon
# after (status=expired).
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
maximal_queue_lifetime = 4s
bounce_queue_lifetime = 4s
`, sink.port, aliasRcpt, mailtest.Admin, remoteDomain)})

	sent := postfixTraffic(t, pf)
	// Wait until the deferred message and the three non-delivery notices
	// reached the sink and the queue is empty: then the log is complete.
	// A deferred message expires only when it is tried again, and once
	// qmgr's own scan left one untried for a minute: the queue is flushed
	// every 2 s, as an administrator would with 'postqueue -f'.
	lastFlush := time.Now()
	waitFor(t, 60*time.Second, "the queue to empty", func() bool {
		if time.Since(lastFlush) > 2*time.Second {
			exec.Command("/usr/sbin/postqueue", "-c", filepath.Join(pf.Dir, "conf"), "-f").Run()
			lastFlush = time.Now()
		}
		return sink.accepted(deferOnce) >= 1 && sink.fromNull() >= 3 && queueEmpty(t, pf)
	}, func() string {
		q, _ := exec.Command("/usr/sbin/postqueue", "-c", filepath.Join(pf.Dir, "conf"), "-p").CombinedOutput()
		return fmt.Sprintf("sink: %d from <>, %d to %s\n%s\n%s", sink.fromNull(), sink.accepted(deferOnce), deferOnce, q, mailtest.Tail(filepath.Join(pf.Dir, "maillog"), 40))
	})
	pf.Stop()
	maillog := filepath.Join(pf.Dir, "maillog")
	t.Logf("%d messages sent; maillog: %d lines", sent, len(logLines(t, maillog)))

	keepLogs(t, maillog)
	deliveries := awkTallies(t, "postfix.awk", nil, maillog)
	for _, want := range []string{deferOnce + " deferred", deferOnce + " sent", bounceRcpt + " bounced", mailtest.Admin + " sent",
		quotedRcpt + " sent", neverRcpt + " expired", "x@dead.test bounced", "y@slow.test expired"} {
		if deliveries[want].Requests == 0 {
			t.Errorf("the log has no delivery %q; the traffic did not do what it should:\n%s", want, mailtest.Tail(maillog, 60))
		}
	}
	// Long queue ids (enable_long_queue_ids) are longer than short ones
	// and mix cases: "4dPxYg0pT3z9Qkc".
	ids := regexp.MustCompile(`postfix/qmgr\[\d+\]: ([0-9A-Za-z]+): from=`).FindAllStringSubmatch(strings.Join(logLines(t, maillog), "\n"), -1)
	if len(ids) == 0 {
		t.Fatalf("no qmgr lines in the log:\n%s", mailtest.Tail(maillog, 40))
	}
	for _, m := range ids {
		if len(m[1]) < 12 || strings.ToUpper(m[1]) == m[1] {
			t.Errorf("queue id %q is not a long one", m[1])
		}
	}

	db := pgtest.NewIn(t, loc)
	res := load(t, db, "postfix", "", maillog)
	t.Logf("ingest: %d lines, %d rows, %d rejects, %d ignored %v", res.Lines, res.Rows, res.Rejects, res.Ignored, res.Reasons)
	noRejects(t, db, "maillog")
	sameTallies(t, "mta rows per recipient and status", deliveries,
		dbTallies(t, db, `SELECT coalesce(m_to, '') || ' ' || coalesce(m_status, ''), count(*), coalesce(sum(m_size), 0) FROM mta GROUP BY 1`))
	fi, err := os.Stat(maillog)
	if err != nil {
		t.Fatal(err)
	}
	_, offset := fi.ModTime().In(loc).Zone()
	sameTallies(t, "mta rows per second", awkTallies(t, "postfix.awk", map[string]string{
		"by": "second", "year": strconv.Itoa(fi.ModTime().In(loc).Year()), "offset": strconv.Itoa(offset)}, maillog),
		dbTallies(t, db, perSecond("mta", "m_size")))
	sameTallies(t, "agg_mail_mailbox in: messages and bytes per local recipient",
		awkTallies(t, "postfix.awk", map[string]string{"by": "in", "local": mailDomain}, maillog),
		dbTallies(t, db, `SELECT mailbox, messages, bytes FROM agg_mail_mailbox WHERE direction = 'in'`))
	sameTallies(t, "agg_mail_mailbox out: messages and bytes per local sender",
		awkTallies(t, "postfix.awk", map[string]string{"by": "out", "local": mailDomain}, maillog),
		dbTallies(t, db, `SELECT mailbox, messages, bytes FROM agg_mail_mailbox WHERE direction = 'out'`))
	for _, dir := range []string{"in", "out"} {
		sameTallies(t, "agg_mail_domain "+dir+": messages and bytes per local domain",
			awkTallies(t, "postfix.awk", map[string]string{"by": dir, "per": "domain", "local": mailDomain}, maillog),
			dbTallies(t, db, `SELECT domain, messages, bytes FROM agg_mail_domain WHERE direction = $1`, dir))
	}
}

// postfixTraffic submits the test's mail and returns how many messages
// were accepted.
func postfixTraffic(t *testing.T, pf *mailtest.Postfix) int {
	t.Helper()
	body := func(subject string, size int) string {
		var b strings.Builder
		fmt.Fprintf(&b, "Subject: %s\r\nMessage-ID: <%d.%s@client.test>\r\n\r\n", subject, time.Now().UnixNano(), strings.ReplaceAll(subject, " ", "-"))
		line := strings.Repeat("x", 76) + "\r\n"
		for b.Len() < size {
			b.WriteString(line)
		}
		return b.String()
	}
	n := 0
	for _, m := range []struct {
		from string
		to   []string
		size int
	}{
		// One message, three recipients: local and remote.
		{"anna@client.test", []string{mailtest.Admin, "a@" + remoteDomain, "b@" + remoteDomain}, 5000},
		// Deferred once, then delivered; with a recipient that goes at once.
		{"bob@client.test", []string{deferOnce, "c@" + remoteDomain}, 20000},
		// Bounced: a non-delivery notice goes back to the sender.
		{"carol@client.test", []string{bounceRcpt}, 3000},
		// An alias expanding to two recipients, one of them remote.
		{"gina@client.test", []string{aliasRcpt}, 2500},
		// UTF-8 addresses, and a local one in other case than the
		// server's.
		{"jörg@client.test", []string{"müller@" + remoteDomain, "Admin@Example.Test"}, 1200},
		// A quoted local part with a blank.
		{"dave@client.test", []string{quotedRcpt}, 1000},
		// Refused at RCPT by the server (451 and 554): only the good
		// recipient gets the message.
		{"erin@client.test", []string{mailtest.TempFail, mailtest.Reject, mailtest.Admin}, 2000},
		// Never accepted: tried until it expires.
		{"frank@client.test", []string{neverRcpt}, 1500},
		// Mail out: from the local domain.
		{mailtest.Admin, []string{"f@" + remoteDomain, "g@" + remoteDomain}, 1 << 20},
	} {
		if submit(t, pf.Addr, m.from, m.to, body(fmt.Sprintf("message %d", n), m.size)) {
			n++
		}
	}
	// Local submission: sendmail(1) through the pickup daemon, which
	// also passes what smtpd would refuse: a domain the error agent
	// bounces, one the retry agent defers until it expires.
	sendmail(t, pf, "root@"+mailDomain, []string{mailtest.Admin}, body("local submission", 700))
	sendmail(t, pf, "hank@client.test", []string{"x@dead.test", "y@slow.test"}, body("error and retry", 900))
	return n + 2
}

func sendmail(t *testing.T, pf *mailtest.Postfix, from string, to []string, msg string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/usr/sbin/sendmail", append([]string{"-C", filepath.Join(pf.Dir, "conf"), "-f", from}, to...)...)
	cmd.Stdin = strings.NewReader(msg)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sendmail: %v\n%s", err, out)
	}
}

// submit sends one message, skipping recipients the server refuses; it
// reports whether the message was accepted for anyone.
func submit(t *testing.T, addr, from string, to []string, msg string) bool {
	t.Helper()
	// A server that stops answering fails the test in seconds.
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	c, err := smtp.NewClient(conn, "mx.ispacct.test")
	if err != nil {
		t.Fatalf("SMTP greeting: %v", err)
	}
	defer c.Close()
	if err := c.Mail(from); err != nil {
		t.Fatalf("MAIL FROM %s: %v", from, err)
	}
	ok := 0
	for _, r := range to {
		if err := c.Rcpt(r); err == nil {
			ok++
		}
	}
	if ok == 0 {
		c.Reset()
		return false
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("DATA from %s: %v", from, err)
	}
	return c.Quit() == nil
}

func queueEmpty(t *testing.T, pf *mailtest.Postfix) bool {
	t.Helper()
	out, _ := exec.Command("/usr/sbin/postqueue", "-c", filepath.Join(pf.Dir, "conf"), "-p").CombinedOutput()
	return strings.Contains(string(out), "Mail queue is empty")
}

func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool, why func() string) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s\n%s", limit, what, why())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// sink is the remote SMTP server Postfix relays to: it accepts every
// recipient except bounceRcpt (550) and deferOnce the first time (451),
// and answers DATA with a queue id of its own, as a real relay does.
type sink struct {
	port int
	mu   sync.Mutex
	rcpt map[string]int // RCPTs seen, by address
	got  map[string]int // messages accepted, by recipient
	null int            // messages from <> (bounce notices)
}

func startSink(t *testing.T) *sink {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &sink{port: l.Addr().(*net.TCPAddr).Port, rcpt: map[string]int{}, got: map[string]int{}}
	var wg sync.WaitGroup
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() { defer wg.Done(); s.serve(c) }()
		}
	}()
	t.Cleanup(func() { l.Close(); wg.Wait() })
	return s
}

func (s *sink) accepted(rcpt string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.got[rcpt]
}

func (s *sink) fromNull() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.null
}

func (s *sink) serve(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Minute))
	r := bufio.NewReader(c)
	say := func(line string) { fmt.Fprintf(c, "%s\r\n", line) }
	say("220 sink.remote.test ESMTP")
	var from string
	var rcpts []string
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb := strings.ToUpper(line)
		switch {
		case strings.HasPrefix(verb, "EHLO"), strings.HasPrefix(verb, "HELO"):
			say("250-sink.remote.test")
			say("250-8BITMIME")
			say("250 SMTPUTF8")
		case strings.HasPrefix(verb, "MAIL FROM:"):
			from, rcpts = address(line[10:]), nil
			say("250 2.1.0 Ok")
		case strings.HasPrefix(verb, "RCPT TO:"):
			to := address(line[8:])
			s.mu.Lock()
			s.rcpt[to]++
			n := s.rcpt[to]
			s.mu.Unlock()
			switch {
			case to == bounceRcpt:
				say("550 5.1.1 <" + to + ">: Recipient address rejected: no such user")
			case to == neverRcpt, to == deferOnce && n == 1:
				say("451 4.3.0 <" + to + ">: try again later")
			default:
				rcpts = append(rcpts, to)
				say("250 2.1.5 Ok")
			}
		case verb == "DATA":
			say("354 End data with <CR><LF>.<CR><LF>")
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
			}
			s.mu.Lock()
			for _, to := range rcpts {
				s.got[to]++
			}
			if from == "" {
				s.null++
			}
			id := fmt.Sprintf("SINK%dQ%d", s.port, len(s.got)+s.null)
			s.mu.Unlock()
			say("250 2.0.0 Ok: queued as " + id)
		case verb == "RSET":
			from, rcpts = "", nil
			say("250 2.0.0 Ok")
		case verb == "NOOP":
			say("250 2.0.0 Ok")
		case verb == "QUIT":
			say("221 2.0.0 Bye")
			return
		default:
			say("502 5.5.2 Error: command not recognized")
		}
	}
}

// address takes the address out of "<a@b> SIZE=123".
func address(arg string) string {
	arg = strings.TrimSpace(arg)
	if i := strings.LastIndexByte(arg, '>'); strings.HasPrefix(arg, "<") && i > 0 {
		return arg[1:i]
	}
	return arg
}
