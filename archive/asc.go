// Package archive writes the files the administrator receives: the pipe-
// delimited .asc files, the workbook and the zip that holds them. Writers
// take rows or streams of rows; they never run SQL and never send mail
// (package mailer carries the archive away; jobs/report drives the build).
package archive

import (
	"bufio"
	"io"
	"net/netip"
	"strconv"
	"time"

	"github.com/ispacct/ispacct/parsers"
)

// The .asc header lines (docs/DESIGN.md, "The .asc files"): the archive's
// contract with other people's scripts.
const (
	ProxyHeader = "lan_name|ip_client|url|zeit|size|status|methode"
	HTTPHeader  = "ip|url|zeit|size|datei|htuser"
	MailHeader  = "msgid|m_to|m_from|m_mailer|m_size|m_remote_id|m_relay|m_status|zeit"
)

// TimeLayout is how zeit is written: ISO 8601 in the configured time zone
// with its offset, fractional seconds only as far as they are not zero.
const TimeLayout = "2006-01-02T15:04:05.999999-07:00"

// appendField appends b escaped as PostgreSQL's COPY text format with
// DELIMITER '|' does (CopyAttributeOutText): backslash and '|' get a
// backslash, and backspace, form feed, LF, CR, tab and vertical tab are
// written \b \f \n \r \t \v. Other bytes pass as they are. An empty field
// reads back as NULL (NULL ”). The archive's files are PostgreSQL's own
// output, so 'ispacct parse' must write exactly this to agree with them.
func appendField(dst, b []byte) []byte {
	for i := 0; i < len(b); i++ {
		// Most bytes need nothing: copied a run at a time.
		j := i
		for j < len(b) && !copyEscaped[b[j]] {
			j++
		}
		dst = append(dst, b[i:j]...)
		if i = j; i == len(b) {
			break
		}
		switch c := b[i]; c {
		case '\\', '|':
			dst = append(dst, '\\', c)
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\f':
			dst = append(dst, '\\', 'f')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		case '\v':
			dst = append(dst, '\\', 'v')
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// copyEscaped are the bytes appendField writes with a backslash.
var copyEscaped = func() (t [256]bool) {
	for _, c := range []byte{'\\', '|', '\b', '\f', '\n', '\r', '\t', '\v'} {
		t[c] = true
	}
	return t
}()

// appendTime appends t as TimeLayout does, without reading the layout for
// every row; a year outside 1000-9999 goes through AppendFormat. Like it,
// the offset drops its seconds (a zone's local mean time of old).
func appendTime(b []byte, t time.Time) []byte {
	year, month, day := t.Date()
	if year < 1000 || year > 9999 {
		return t.AppendFormat(b, TimeLayout)
	}
	_, off := t.Zone()
	hour, min, sec := t.Clock()
	b = append4(b, year)
	b = append(b, '-')
	b = append2(b, int(month))
	b = append(b, '-')
	b = append2(b, day)
	b = append(b, 'T')
	b = append2(b, hour)
	b = append(b, ':')
	b = append2(b, min)
	b = append(b, ':')
	b = append2(b, sec)
	if us := t.Nanosecond() / 1000; us != 0 {
		var f [7]byte
		f[0] = '.'
		for i := 6; i >= 1; i-- {
			f[i] = byte('0' + us%10)
			us /= 10
		}
		n := 7
		for f[n-1] == '0' {
			n--
		}
		b = append(b, f[:n]...)
	}
	sign := byte('+')
	if off < 0 {
		sign, off = '-', -off
	}
	b = append(b, sign)
	b = append2(b, off/3600)
	b = append(b, ':')
	return append2(b, off/60%60)
}

func append2(b []byte, n int) []byte { return append(b, byte('0'+n/10), byte('0'+n%10)) }
func append4(b []byte, n int) []byte { return append2(append2(b, n/100), n%100) }

// ASC writes one .asc file: the header line, then one line per row.
type ASC struct {
	w    *bufio.Writer
	loc  *time.Location
	line []byte
}

// NewASC starts an .asc file with its header.
func NewASC(w io.Writer, loc *time.Location, header string) (*ASC, error) {
	a := &ASC{w: bufio.NewWriterSize(w, 64<<10), loc: loc}
	_, err := a.w.WriteString(header + "\n")
	return a, err
}

func (a *ASC) text(b []byte) { a.line = appendField(a.line, b); a.line = append(a.line, '|') }
func (a *ASC) addr(ip netip.Addr) {
	if ip.IsValid() {
		a.line = ip.AppendTo(a.line)
	}
	a.line = append(a.line, '|')
}
func (a *ASC) int(n int64) { a.line = strconv.AppendInt(a.line, n, 10); a.line = append(a.line, '|') }
func (a *ASC) time(t time.Time) {
	a.line = appendTime(a.line, t.In(a.loc))
	a.line = append(a.line, '|')
}
func (a *ASC) end() error {
	a.line[len(a.line)-1] = '\n'
	_, err := a.w.Write(a.line)
	a.line = a.line[:0]
	return err
}

// Proxy writes a proxy.asc line; lan is empty for an unassigned client.
func (a *ASC) Proxy(lan string, r *parsers.Proxy) error {
	a.text([]byte(lan))
	a.addr(r.Client)
	a.text(r.URL)
	a.time(r.Zeit)
	a.int(r.Size)
	a.text(r.Status)
	a.text(r.Method)
	return a.end()
}

// HTTP writes an http.asc line.
func (a *ASC) HTTP(r *parsers.HTTP) error {
	a.addr(r.IP)
	a.text(r.URL)
	a.time(r.Zeit)
	a.int(r.Size)
	a.text(r.Datei)
	a.text(r.HTUser)
	return a.end()
}

// Mail writes a mail.asc line.
func (a *ASC) Mail(r *parsers.Mail) error {
	a.text([]byte(r.Msgid))
	a.text([]byte(r.To))
	a.text([]byte(r.From))
	a.text([]byte(r.Mailer))
	if r.Size > 0 {
		a.int(r.Size)
	} else {
		a.text(nil)
	}
	a.text([]byte(r.RemoteID))
	a.text([]byte(r.Relay))
	a.text([]byte(r.Status))
	a.time(r.Zeit)
	return a.end()
}

// Flush writes out what is buffered.
func (a *ASC) Flush() error { return a.w.Flush() }
