package parsers

import (
	"bytes"
	"time"
)

// NewPostfix returns a MailLog for Postfix logs: syslog files (classic or
// RFC 3339 time stamps) and Postfix's own maillog_file, with or without
// host names. Lines are recognized by their syslog tag "NAME/PROGRAM"
// ("postfix/smtp", "postfix/submission/smtpd", "postfix-out/qmgr") and a
// queue id, short (upper-case hex, "1A2B3C4D5E") or long (10 to 24
// letters and digits, "4Bxyz0abc1z9kE").
//
// A message is assembled from
//
//	smtpd   QID: client=...                          starts a message
//	pickup  QID: uid=0 from=<...>                    starts a message
//	cleanup QID: message-id=<...>                    Message-ID
//	qmgr    QID: from=<...>, size=N, nrcpt=N (queue active)
//	AGENT   QID: to=<...>, [orig_to=<...>,] relay=..., delay=..., dsn=..., status=WORD (TEXT)
//	qmgr    QID: from=<...>, status=expired, returned to sender
//	qmgr    QID: removed                             ends the message
//
// Every delivery line (of any agent: smtp, lmtp, local, virtual, pipe,
// error, discard, qmgr...) gives one row; Mailer is the tag after the
// first slash ("smtp", "local", "relay/smtp" when syslog_name is set per
// service). An expiry gives one "expired" row per recipient whose latest
// attempt was deferred. A message rejected or discarded by cleanup or by
// smtpd at DATA / END-OF-MESSAGE ends without rows.
//
// Queue ids are reused (short ids are inode numbers). A start line
// (smtpd client=, pickup) for a queue id that is still open, or a
// message-id= line for one that already had its message-id, was queued or
// delivered, begins a new message; the old one is closed and counted in
// Stats().Reused. A message without a line for longer than MaxAge is
// closed and counted in Stats().Dropped.
func NewPostfix(o MailOptions) *MailLog { return newMailLog(o, (*MailLog).postfix, isPostfixTag) }

func (m *MailLog) postfix(h *syslogHeader) (bool, error) {
	slash := bytes.IndexByte(h.Tag, '/')
	if slash < 0 {
		return false, nil
	}
	prog := h.Tag[bytes.LastIndexByte(h.Tag, '/')+1:]
	qid, body, ok := postfixQID(h.Msg)
	if !ok {
		return false, nil
	}
	t := h.Time
	if hasPrefix(body, "to=") {
		return true, m.postfixDelivery(qid, body, h.Tag[slash+1:], t)
	}
	switch string(prog) {
	case "qmgr":
		if hasPrefix(body, "from=") {
			return true, m.postfixQmgr(qid, body, prog, t)
		}
		if string(body) == "removed" {
			return m.remove(qid), nil
		}
	case "cleanup":
		if hasPrefix(body, "message-id=") {
			m.postfixMessageID(qid, body[len("message-id="):], t)
			return true, nil
		}
		if hasAnyPrefix(body, "reject: ", "milter-reject: ", "discard: ", "milter-discard: ") {
			return m.remove(qid), nil
		}
	case "smtpd":
		if hasPrefix(body, "client=") {
			om := m.restart(qid, t)
			om.Received = true
			return true, nil
		}
		if hasAnyPrefix(body, "reject: ", "milter-reject: ", "milter-discard: ") &&
			(bytes.Contains(body, []byte("END-OF-MESSAGE")) || bytes.Contains(body, []byte(": DATA from "))) {
			return m.remove(qid), nil
		}
	case "pickup":
		if hasPrefix(body, "uid=") || hasPrefix(body, "sender=") {
			om := m.restart(qid, t)
			om.Received = true
			if i := bytes.Index(body, []byte("from=")); i >= 0 {
				setString(&om.From, m.text(sender(body[i+len("from="):])))
			}
			return true, nil
		}
	case "postsuper":
		if string(body) == "removed" {
			return m.remove(qid), nil
		}
	}
	return false, nil
}

func hasAnyPrefix(b []byte, prefixes ...string) bool {
	for _, p := range prefixes {
		if hasPrefix(b, p) {
			return true
		}
	}
	return false
}

// remove ends the message qid; it reports whether one was open.
func (m *MailLog) remove(qid []byte) bool {
	om := m.lookup(qid)
	if om == nil {
		return false
	}
	m.close(om)
	return true
}

// postfixQID splits "QID: rest" off a message.
func postfixQID(msg []byte) (qid, body []byte, ok bool) {
	i := bytes.IndexByte(msg, ':')
	if i < 5 || i > 24 || i+1 >= len(msg) || msg[i+1] != ' ' {
		return nil, nil, false
	}
	qid = msg[:i]
	if !isQID(qid) {
		return nil, nil, false
	}
	return qid, msg[i+2:], true
}

// isQID reports whether b is a Postfix queue id: the classic short one
// (5-16 bytes of upper-case hex) or the long one (10-24 letters and
// digits). Both are checked in one pass.
func isQID(b []byte) bool {
	all := uint8(qidShort | qidLong)
	for _, c := range b {
		all &= qidChars[c]
	}
	n := len(b)
	return all&qidShort != 0 && n >= 5 && n <= 16 || all&qidLong != 0 && n >= 10 && n <= 24
}

// The classes of qidChars.
const (
	qidShort = 1 << iota
	qidLong
)

// qidChars says which bytes may appear in a short queue id (0-9, A-F) and
// in a long one (0-9, A-Z, a-z), so that a queue id is checked without a
// branch a byte.
var qidChars = func() (t [256]uint8) {
	for c := range 256 {
		switch {
		case c >= '0' && c <= '9', c >= 'A' && c <= 'F':
			t[c] = qidShort | qidLong
		case c >= 'G' && c <= 'Z', c >= 'a' && c <= 'z':
			t[c] = qidLong
		}
	}
	return t
}()

func (m *MailLog) postfixMessageID(qid, v []byte, t time.Time) {
	om := m.lookup(qid)
	if om != nil && (om.Cleaned || om.Queued || om.Attempts > 0) {
		m.stats.Reused++
		m.close(om)
		om = nil
	}
	if om == nil {
		om = m.create(qid, t)
	}
	om.Last = t
	om.Cleaned = true
	setString(&om.MsgID, m.text(stripAngle(trimSpace(v))))
}

// splitStatus splits "sent (250 2.0.0 Ok)" or "expired, returned to
// sender" into the status word and its text, without parentheses.
func splitStatus(v []byte) (word, text []byte) {
	i := 0
	for i < len(v) && v[i] != ' ' && v[i] != ',' {
		i++
	}
	word, text = v[:i], v[i:]
	if len(text) > 0 && text[0] == ',' {
		text = text[1:]
	}
	text = trimSpace(text)
	if len(text) >= 2 && text[0] == '(' && text[len(text)-1] == ')' {
		text = text[1 : len(text)-1]
	}
	return word, text
}

var (
	errBadRecipient = reject("bad recipient address")
	errNoStatus     = reject("delivery line without status")
	errBadKeyValue  = reject("bad key=value list")
)

func (m *MailLog) postfixDelivery(qid, body, mailer []byte, t time.Time) error {
	var to, origTo, relay, dsn, status, text []byte
	var delay time.Duration
	seen := false
	for rest := body; len(rest) > 0; {
		if hasPrefix(rest, "status=") {
			status, text = splitStatus(rest[len("status="):])
			seen = true
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
		case "orig_to":
			origTo = v
		case "relay":
			relay = v
		case "dsn":
			dsn = v
		case "delay":
			if delay, ok = parseDelaySeconds(v); !ok {
				return reject("bad delay")
			}
		}
	}
	if len(to) < 2 || to[0] != '<' || to[len(to)-1] != '>' {
		return errBadRecipient
	}
	if origTo != nil && (len(origTo) < 2 || origTo[0] != '<' || origTo[len(origTo)-1] != '>') {
		return errBadRecipient
	}
	if !seen || len(status) == 0 {
		return errNoStatus
	}
	om := m.get(qid, t)
	r := m.addRow(om, t, m.text(stripAngle(to)), m.text(stripAngle(origTo)), m.text(text))
	r.Mailer = m.str(m.text(mailer))
	r.Relay = m.str(m.text(relay))
	r.DSN = m.str(m.text(dsn))
	r.Status = m.str(m.text(status))
	r.Delay = delay
	m.settle(om, r)
	return nil
}

func (m *MailLog) postfixQmgr(qid, body, prog []byte, t time.Time) error {
	var from, status, text []byte
	var size, nrcpt int64 = -1, -1
	for rest := body; len(rest) > 0; {
		if hasPrefix(rest, "status=") {
			status, text = splitStatus(rest[len("status="):])
			break
		}
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
		case "nrcpt":
			if nrcpt, ok = leadingUint(v); !ok {
				return reject("bad nrcpt")
			}
		}
	}
	if len(from) < 2 || from[0] != '<' || from[len(from)-1] != '>' {
		return reject("bad sender address")
	}
	om := m.get(qid, t)
	setString(&om.From, m.text(sender(from)))
	if size >= 0 {
		om.Size = size
	}
	if nrcpt >= 0 {
		om.NRcpt = int(nrcpt)
	}
	if len(status) == 0 {
		om.Queued = true
		return nil
	}
	// A per-message status: "expired, returned to sender".
	n := len(m.rows)
	m.expire(om, t, string(m.text(text)))
	st := m.str(m.text(status))
	for i := n; i < len(m.rows); i++ {
		m.rows[i].Status = st
		if m.rows[i].Mailer == "" {
			m.rows[i].Mailer = m.str(prog)
		}
	}
	return nil
}
