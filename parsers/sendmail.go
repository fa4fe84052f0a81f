package parsers

import (
	"bytes"
	"time"
)

// NewSendmail returns a MailLog for Sendmail's syslog lines (tags
// "sendmail", "sm-mta", "sm-msp-queue"):
//
//	QID: from=<a@b>, size=N, class=0, nrcpts=N, msgid=<...>, proto=ESMTP, daemon=MTA, relay=...
//	QID: to=<x@y>[,<z@y>...], [ctladdr=...,] delay=..., xdelay=..., mailer=esmtp, pri=..., relay=..., dsn=2.0.0, stat=Sent (...)
//	QID: NEWQID: DSN: Cannot send message for 5 days
//
// A to= line names one or more recipients and gives one row for each.
// Mailer is mailer=. Status maps stat= onto Postfix's words: "Sent..." is
// sent, "Deferred..." deferred, "queued" queued, anything else (User
// unknown, Service unavailable...) bounced; StatusText keeps stat= whole.
// "Cannot send message for ..." expires the recipients still deferred.
//
// A "QID: NEWQID: DSN: ..." line makes NEWQID a message from the null
// sender "<>" (Sendmail logs no from= line for its DSNs).
//
// Sendmail logs no "removed": a message is complete when as many
// recipients as nrcpts have a final status (for a message without from=
// line: when none of its recipients waits), and it is closed an hour (log
// time) after its last line, which leaves room for late lines of alias
// expansions. A from= line for a queue id whose message is complete begins
// a new message (Stats().Reused); for an open one it updates it.
func NewSendmail(o MailOptions) *MailLog { return newMailLog(o, (*MailLog).sendmail, isSendmailTag) }

func (m *MailLog) sendmail(h *syslogHeader) (bool, error) {
	tag := h.Tag
	if i := bytes.LastIndexByte(tag, '/'); i >= 0 {
		tag = tag[i+1:]
	}
	if string(tag) != "sendmail" && !hasPrefix(tag, "sm-") {
		return false, nil
	}
	qid, body, ok := sendmailQID(h.Msg)
	if !ok {
		return false, nil
	}
	t := h.Time
	switch {
	case hasPrefix(body, "from="):
		return true, m.sendmailFrom(qid, body, t)
	case hasPrefix(body, "to="):
		return true, m.sendmailTo(qid, body, t)
	}
	// "QID: NEWQID: DSN: User unknown": NEWQID is the delivery status
	// notification to QID's sender; it has no from= line of its own, and
	// its envelope sender is the null sender. "Cannot send message for 5
	// days" (or, before 8.12, "return to sender: Cannot send ...") also
	// expires QID's deferred recipients.
	if dsn, rest, ok := sendmailQID(body); ok {
		for _, p := range []string{"DSN: ", "return to sender: "} {
			if !hasPrefix(rest, p) {
				continue
			}
			if om := m.get(dsn, t); om.From == "" {
				om.From = "<>"
			}
			if hasPrefix(rest[len(p):], "Cannot send message for") {
				if om := m.lookup(qid); om != nil {
					om.Last = t
					m.expire(om, t, string(m.text(rest[len(p):])))
					om.Complete = true
				}
			}
			return true, nil
		}
	}
	return false, nil
}

// sendmailQID splits "QID: rest" off a message; Sendmail queue ids are
// 8 to 20 letters and digits ("5ALCjCKl001234").
func sendmailQID(msg []byte) (qid, body []byte, ok bool) {
	i := bytes.IndexByte(msg, ':')
	if i < 8 || i > 20 || i+1 >= len(msg) || msg[i+1] != ' ' {
		return nil, nil, false
	}
	for _, c := range msg[:i] {
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			return nil, nil, false
		}
	}
	return msg[:i], msg[i+2:], true
}

func (m *MailLog) sendmailFrom(qid, body []byte, t time.Time) error {
	var from, msgid []byte
	var size, nrcpts int64 = -1, -1
	for rest := body; len(rest) > 0; {
		k, v, r, ok := nextKV(rest)
		if !ok {
			return errBadKeyValue
		}
		rest = r
		switch string(k) {
		case "from":
			from = v
		case "size":
			if size, ok = parseUint(v); !ok {
				return reject("bad size")
			}
		case "nrcpts":
			if nrcpts, ok = parseUint(v); !ok {
				return reject("bad nrcpts")
			}
		case "msgid":
			msgid = v
		}
	}
	if len(from) == 0 {
		return reject("bad sender address")
	}
	om := m.lookup(qid)
	if om == nil || om.Complete {
		om = m.restart(qid, t)
	}
	om.Last = t
	om.Received = true
	setString(&om.From, m.text(sender(from)))
	setString(&om.MsgID, m.text(stripAngle(trimSpace(msgid))))
	if size >= 0 {
		om.Size = size
	}
	if nrcpts >= 0 {
		om.NRcpt = int(nrcpts)
		om.Complete = om.Final >= om.NRcpt
	}
	return nil
}

func (m *MailLog) sendmailTo(qid, body []byte, t time.Time) error {
	var to, mailer, relay, dsn, stat []byte
	var delay time.Duration
	seen := false
	for rest := body; len(rest) > 0; {
		if hasPrefix(rest, "stat=") {
			stat, seen = trimSpace(rest[len("stat="):]), true
			break
		}
		k, v, r, ok := nextKV(rest)
		if !ok {
			return errBadKeyValue
		}
		rest = r
		switch string(k) {
		case "to":
			to = v
		case "mailer":
			mailer = v
		case "relay":
			relay = v
		case "dsn":
			dsn = v
		case "delay":
			if delay, ok = parseSendmailDelay(v); !ok {
				return reject("bad delay")
			}
		}
	}
	if !seen || len(stat) == 0 {
		return errNoStatus
	}
	status := sendmailStatus(stat)
	if !hasRecipient(to) {
		return errBadRecipient
	}
	om := m.get(qid, t)
	statText := m.text(stat)
	for v := to; len(v) > 0; {
		var rcpt []byte
		rcpt, v = nextRecipient(v)
		if rcpt = stripAngle(trimSpace(rcpt)); len(rcpt) == 0 {
			continue
		}
		r := m.addRow(om, t, m.text(rcpt), nil, statText)
		r.Mailer = m.str(m.text(mailer))
		r.Relay = m.str(m.text(relay))
		r.DSN = m.str(m.text(dsn))
		r.Status = status
		r.Delay = delay
		m.settle(om, r)
	}
	// Without a from= line (a DSN, or a message begun before the first
	// file) nrcpts is not known: the message is complete when no
	// recipient seen waits.
	if om.NRcpt > 0 && om.Final >= om.NRcpt || !om.Received && len(om.Pending) == 0 {
		om.Complete = true
	}
	return nil
}

func sendmailStatus(stat []byte) string {
	switch {
	case hasPrefix(stat, "Sent"):
		return "sent"
	case hasPrefix(stat, "Deferred"):
		return "deferred"
	case hasPrefix(stat, "queued"):
		return "queued"
	}
	return "bounced"
}

func hasRecipient(to []byte) bool {
	for v := to; len(v) > 0; {
		var rcpt []byte
		rcpt, v = nextRecipient(v)
		if len(stripAngle(trimSpace(rcpt))) > 0 {
			return true
		}
	}
	return false
}

// nextRecipient returns the first recipient of a comma-separated list;
// commas inside <...> or quotes do not separate.
func nextRecipient(v []byte) (rcpt, rest []byte) {
	depth, quoted := 0, false
	for i, c := range v {
		switch {
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '<':
			depth++
		case c == '>' && depth > 0:
			depth--
		case c == ',' && depth == 0:
			return v[:i], v[i+1:]
		}
	}
	return v, nil
}

// parseSendmailDelay parses "HH:MM:SS" with an optional "D+" day count.
func parseSendmailDelay(b []byte) (time.Duration, bool) {
	var days int64
	if i := bytes.IndexByte(b, '+'); i >= 0 {
		var ok bool
		if days, ok = parseUint(b[:i]); !ok || days > 100000 {
			return 0, false
		}
		b = b[i+1:]
	}
	if len(b) != 8 || b[2] != ':' || b[5] != ':' {
		return 0, false
	}
	h, ok1 := digits2(b[0:2])
	mi, ok2 := digits2(b[3:5])
	s, ok3 := digits2(b[6:8])
	if !ok1 || !ok2 || !ok3 || mi > 59 || s > 59 {
		return 0, false
	}
	return time.Duration(days)*24*time.Hour + time.Duration(h)*time.Hour +
		time.Duration(mi)*time.Minute + time.Duration(s)*time.Second, true
}
