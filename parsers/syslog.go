package parsers

import (
	"bytes"
	"encoding/binary"
	"time"
)

// A syslog file line, as rsyslog, syslog-ng and Postfix's own postlogd
// write it, is
//
//	TIMESTAMP [HOST] TAG[PID]: MESSAGE
//
// with a classic ("Nov 21 13:45:12", "Nov  1", "Nov 01", "Nov 1", optionally with a
// fraction of a second) or an RFC 3339 time stamp; see the package
// documentation for how the year of a classic one is found. The host name
// is optional: a TAG is recognized by the colon that ends it, so
// "Nov 21 13:45:12 postfix/smtp[123]: ..." (no host) and
// "Nov 21 13:45:12 mx postfix/smtp[123]: ..." both parse. A priority
// before the host, as FreeBSD's syslogd -v writes it
// ("Jun 17 14:37:39 <mail.info> robin sm-mta[2794]: ..."; "<2.6>" with a
// single -v), is read past, and so is an RFC 3164 "<PRI>" that starts the
// line ("<22>Nov 21 13:45:12 mx ...").

// syslogHeader is a syslog line split into its parts. Byte slices point
// into the line.
type syslogHeader struct {
	Time time.Time // UTC
	Host []byte    // empty when the line has none
	Tag  []byte    // program name, "postfix/smtp"; empty if the line has no tag
	PID  []byte
	Msg  []byte // the message after "TAG: "
}

// syslogClock turns syslog time stamps into instants (see the year rule
// above) and remembers the last one, since consecutive lines mostly share
// their second.
type syslogClock struct {
	loc *time.Location
	ref time.Time

	last    [40]byte
	lastLen int
	lastT   time.Time
}

// same reports whether ts is the last time stamp (of the same length). A
// classic stamp is two overlapping word loads, where bytes.Equal would be
// a call.
func (c *syslogClock) same(ts []byte) bool {
	if len(ts) == 15 {
		le := binary.LittleEndian
		return le.Uint64(ts[0:8]) == le.Uint64(c.last[0:8]) && le.Uint64(ts[7:15]) == le.Uint64(c.last[7:15])
	}
	return string(ts) == string(c.last[:len(ts)])
}

func (c *syslogClock) setRef(ref time.Time, loc *time.Location) {
	if loc == nil {
		loc = time.Local
	}
	if ref.IsZero() {
		ref = time.Now()
	}
	c.ref, c.loc, c.lastLen = ref, loc, 0
}

var errBadTimestamp = reject("bad syslog timestamp")

// header splits line into h. The only error is a line that does not start
// with a time stamp; a line without a tag has an empty h.Tag.
func (c *syslogClock) header(line []byte, h *syslogHeader) error {
	var ts, rest []byte
	unpadded := false
	switch {
	case len(line) > 0 && line[0] >= '0' && line[0] <= '9':
		i := bytes.IndexByte(line, ' ')
		if i < 0 {
			return errBadTimestamp
		}
		ts, rest = line[:i], line[i:]
	case len(line) >= 14 && line[3] == ' ' && line[4] >= '1' && line[4] <= '9' && line[5] == ' ':
		// "Nov 1 13:45:12": some senders do not pad the day.
		unpadded = true
		fallthrough
	case len(line) >= 15 && line[3] == ' ' && line[6] == ' ':
		end := 15
		if unpadded {
			end = 14
		}
		if len(line) > end && line[end] == '.' {
			end++
			for end < len(line) && line[end] >= '0' && line[end] <= '9' {
				end++
			}
		}
		ts, rest = line[:end], line[end:]
	default:
		if len(line) > 0 && line[0] == '<' {
			// Once: a second priority is garbage, and must not recurse.
			if l := skipPriority(line); len(l) < len(line) && (len(l) == 0 || l[0] != '<') {
				return c.header(l, h)
			}
		}
		return errBadTimestamp
	}
	if c.lastLen > 0 && len(ts) == c.lastLen && c.same(ts) {
		h.Time = c.lastT
	} else {
		p := ts
		if unpadded { // parsed as "Nov  1 13:45:12"
			if len(ts) >= len(c.last) {
				return errBadTimestamp
			}
			var buf [len(c.last)]byte
			buf[4] = ' '
			copy(buf[:4], ts)
			p = buf[:5+copy(buf[5:], ts[4:])]
		}
		t, ok := c.parseTime(p)
		if !ok {
			return errBadTimestamp
		}
		h.Time = t
		if len(ts) <= len(c.last) {
			c.lastLen = copy(c.last[:], ts)
			c.lastT = t
		}
	}
	if len(rest) > 0 && rest[0] != ' ' {
		return errBadTimestamp
	}

	h.Host, h.Tag, h.PID = nil, nil, nil
	tok, after := nextField(rest)
	if len(tok) > 2 && tok[0] == '<' && tok[len(tok)-1] == '>' { // syslogd -v
		tok, after = nextField(after)
	}
	if !hasColonEnd(tok) {
		h.Host = tok
		h.Msg = trimOneSpace(after)
		tok, after = nextField(after)
		if !hasColonEnd(tok) {
			return nil // no tag: a syslog line, but not a program's message
		}
	}
	tok = tok[:len(tok)-1]
	if n := len(tok); n > 0 && tok[n-1] == ']' {
		if lb := bytes.IndexByte(tok, '['); lb >= 0 {
			h.PID = tok[lb+1 : n-1]
			tok = tok[:lb]
		}
	}
	h.Tag = tok
	h.Msg = trimOneSpace(after)
	return nil
}

func trimOneSpace(b []byte) []byte {
	if len(b) > 0 && b[0] == ' ' {
		return b[1:]
	}
	return b
}

func (c *syslogClock) parseTime(ts []byte) (time.Time, bool) {
	if ts[0] >= '0' && ts[0] <= '9' {
		return parseRFC3339(ts)
	}
	mon, ok := parseMonth(ts[0:3])
	if !ok {
		return time.Time{}, false
	}
	var day int
	if ts[4] == ' ' {
		if ts[5] < '1' || ts[5] > '9' {
			return time.Time{}, false
		}
		day = int(ts[5] - '0')
	} else if day, ok = digits2(ts[4:6]); !ok || day < 1 {
		return time.Time{}, false
	}
	if ts[9] != ':' || ts[12] != ':' {
		return time.Time{}, false
	}
	h, ok1 := digits2(ts[7:9])
	mi, ok2 := digits2(ts[10:12])
	s, ok3 := digits2(ts[13:15])
	if !ok1 || !ok2 || !ok3 || !validClock(h, mi, s) {
		return time.Time{}, false
	}
	nsec := 0
	if len(ts) > 15 {
		frac := ts[16:]
		n, ok := digitsN(frac)
		if !ok {
			return time.Time{}, false
		}
		for i := len(frac); i < 9; i++ {
			n *= 10
		}
		nsec = n
	}
	return syslogDate(mon, day, h, mi, s, nsec, c.ref, c.loc)
}

// skipPriority drops an RFC 3164 priority ("<22>") from the start of b.
func skipPriority(b []byte) []byte {
	i := 1
	for i < len(b) && i <= 4 && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	if i > 1 && i < len(b) && b[i] == '>' {
		return b[i+1:]
	}
	return b
}
