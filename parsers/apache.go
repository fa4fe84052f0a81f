package parsers

import (
	"bytes"
)

// ApacheFormat is one of Apache's predefined log formats.
type ApacheFormat uint8

const (
	// ApacheCommon is "%h %l %u %t \"%r\" %>s %b".
	ApacheCommon ApacheFormat = iota + 1
	// ApacheCombined is common plus "\"%{Referer}i\" \"%{User-Agent}i\"".
	ApacheCombined
	// ApacheVHostCombined is Debian's vhost_combined:
	// "%v:%p %h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\"".
	ApacheVHostCombined
)

// Apache parses Apache httpd access logs in one of the predefined formats:
//
//	10.4.24.77 - anna [21/Nov/2026:13:45:12 +0100] "GET /a?b=1 HTTP/1.1" 200 5120 "http://ref/" "Mozilla/5.0"
//
// Rules beyond the format strings:
//   - The time stamp's own offset gives the instant; Zeit is UTC.
//   - Apache escapes quoted fields and %u: `\"` and `\\` are undone, and
//     so is `\xHH` for bytes 0x80-0xFF (UTF-8 paths come out readable; a
//     byte that is not valid UTF-8 then follows the text rule, "%HH").
//     Escapes of control characters (`\x16`, `\n`, `\t`) are kept as
//     written, so no field holds a control character.
//   - A request line that is not "METHOD TARGET [HTTP/x]" — "-" for a
//     connection closed before a request, TLS handshakes sent to a
//     plain-HTTP port ("\x16\x03\x01..."), binary junk — is still a row
//     (Apache answered it, usually with 400): Method and Protocol are
//     empty and Datei holds the request text exactly as logged, escapes
//     included ("" for "-").
//   - An empty user name, which Apache logs as `""`, is empty.
//   - %h is an IP address, or with HostnameLookups On a host name: then
//     Host holds the name and IP is the zero Addr, and the request is a
//     record like any other. A line that starts with a host name and an
//     address ("www.example.com 10.0.0.1 - - [...]", the vhost_common
//     style "%v %h") is rejected: its first field is not the client.
//   - Fields the format does not have (the virtual host of common and
//     combined, referer and user agent of common) are empty, except that
//     the virtual host named at construction fills URL.
//   - Anything after the format's last field (a %D someone appended) is
//     ignored.
//
// An Apache is not safe for concurrent use.
type Apache struct {
	format ApacheFormat
	vhost  []byte
	lt     lineText
	ts     clfCache
	// backslash says the line holds a '\\': only then may fields need
	// unescaping.
	backslash bool
	// noQuick makes Parse take the general rule for every field; tests
	// check that the quick paths give the same records.
	noQuick bool
}

// NewApache returns a parser for format. vhost names the virtual host of
// a per-virtual-host log file and fills URL of every record; with
// ApacheVHostCombined the line's %v takes precedence.
func NewApache(format ApacheFormat, vhost string) *Apache {
	return &Apache{format: format, vhost: AppendText(nil, []byte(vhost))}
}

var (
	errVHostFirst  = reject("virtual host before the client address (a \"%v %h\" or vhost_combined log, not this format)")
	errUnterminate = reject("unterminated quoted field")
	errNotQuoted   = reject("expected a quoted field")
)

// Parse fills rec from one line. The error, if any, is the reject reason;
// rec's slices are valid until the next call.
//
// Each field has a quick path for the way Apache writes it (one space
// before it, "- -" for no ident and user, a three-digit status, "-" for
// no referer) and falls back to the general rule for anything else, so
// both give the same record.
func (p *Apache) Parse(line []byte, rec *HTTP) error {
	p.lt.reset(line)
	p.backslash = bytes.IndexByte(line, '\\') >= 0
	rest := line
	var err error
	rec.URL, rec.Port = p.vhost, 0
	if p.format == ApacheVHostCombined {
		if rest, err = p.virtualHost(rest, rec); err != nil {
			return blankOr(line, err)
		}
	}
	if rest, err = p.client(rest, rec); err != nil {
		return blankOr(line, err)
	}
	if len(rest) > 5 && rest[0] == ' ' && rest[1] == '-' && rest[2] == ' ' && rest[3] == '-' && rest[4] == ' ' && rest[5] == '[' && !p.noQuick {
		rec.HTUser, rest = nil, rest[5:]
	} else if rest, err = p.user(rest, rec); err != nil {
		return err
	}
	var ok bool
	if rest, ok = p.ts.parse(rest, &rec.Zeit); !ok {
		return errBadCLFTime
	}

	req, rest, err := p.quoted(rest)
	if err != nil {
		return err
	}
	p.request(req, rec)

	if len(rest) >= 4 && rest[0] == ' ' && isDigit(rest[1]) && isDigit(rest[2]) && isDigit(rest[3]) && (len(rest) == 4 || rest[4] == ' ') && !p.noQuick {
		rec.Status, rest = int16(rest[1]-'0')*100+int16(rest[2]-'0')*10+int16(rest[3]-'0'), rest[4:]
	} else {
		f, r := nextField(rest)
		st, ok := parseUint(f)
		if !ok || st > 999 {
			if len(f) == 0 {
				return errMissing
			}
			return errBadStatus
		}
		rec.Status, rest = int16(st), r
	}

	f, rest := nextField(rest)
	if rec.Size, ok = parseSize(f); !ok {
		if len(f) == 0 {
			return errMissing
		}
		return errBadSize
	}

	rec.Referer, rec.UserAgent = nil, nil
	if p.format == ApacheCommon {
		return nil
	}
	var ref, ua []byte
	after := rest
	if len(rest) >= 4 && rest[0] == ' ' && rest[1] == '"' && rest[2] == '-' && rest[3] == '"' && (len(rest) == 4 || rest[4] == ' ') && !p.noQuick {
		rest = rest[4:]
	} else {
		if ref, rest, err = p.quoted(rest); err != nil {
			return p.refererAgent(after, rec, err)
		}
		ref = p.unescaped(dash(ref))
	}
	if ua, _, err = p.quoted(rest); err != nil {
		return p.refererAgent(after, rec, err)
	}
	rec.Referer = ref
	rec.UserAgent = p.unescaped(dash(ua))
	return nil
}

// refererAgent reads referer and user agent when they hold quotes that
// are not escaped (Apache escapes them; other servers writing this format
// may not): the rest of the line must then be `"REFERER" "AGENT"`, split
// at its last `" "`. Otherwise err, what reading them field by field
// found, stands.
func (p *Apache) refererAgent(b []byte, rec *HTTP, err error) error {
	b = trimSpace(b)
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return err
	}
	k := bytes.LastIndex(b[:len(b)-1], quoteSpaceQuote)
	if k <= 0 {
		return err
	}
	ref := p.unescaped(dash(b[1:k]))
	rec.UserAgent = p.unescaped(dash(b[k+3 : len(b)-1]))
	rec.Referer = ref
	return nil
}

// blankOr returns ErrBlank for a blank line, else err: a blank line fails
// on its first field, and is checked for only then.
func blankOr(line []byte, err error) error {
	if isBlank(line) {
		return ErrBlank
	}
	return err
}

// virtualHost reads %v:%p into URL and Port.
func (p *Apache) virtualHost(b []byte, rec *HTTP) ([]byte, error) {
	// Host names differ in length from line to line: their first 32 bytes
	// are searched without a branch on where the space is.
	var f, rest []byte
	if len(b) >= 32 {
		j := sepIndex32((*[32]byte)(b))
		f, rest = b[:j], b[j:]
	}
	if len(f) == 0 || len(f) == 32 {
		f, rest = longField(b)
	}
	i := bytes.LastIndexByte(f, ':')
	if i <= 0 {
		return nil, reject("bad virtual host")
	}
	port, ok := parseUint(f[i+1:])
	if !ok || port > 65535 {
		return nil, reject("bad virtual host")
	}
	rec.URL, rec.Port = p.lt.field(f[:i]), uint16(port)
	return rest, nil
}

// client reads %h into IP, or a host name into Host.
func (p *Apache) client(b []byte, rec *HTTP) ([]byte, error) {
	var f, rest []byte
	var ok bool
	rec.Host = nil
	if rec.IP, f, rest, ok = addrField(b); !ok {
		if len(f) == 0 {
			return nil, errMissing
		}
		// "www.example.com 10.0.0.1 - - [", or vhost_combined's
		// "www.example.com:443 10.0.0.1": not the client first.
		if next, _ := nextField(rest); len(next) > 1 {
			if _, isAddr := parseAddr(next); isAddr {
				return nil, errVHostFirst
			}
		}
		if !looksLikeHostname(f) {
			return nil, errBadClient
		}
		rec.Host = p.lt.field(f)
	}
	return rest, nil
}

// user reads %l, then %u up to the " [" of %t (a user name may hold
// spaces), into HTUser.
func (p *Apache) user(b []byte, rec *HTTP) ([]byte, error) {
	f, rest := nextField(b)
	rest = trimLeft(rest)
	if len(f) == 0 || len(rest) == 0 {
		return nil, errMissing
	}
	var user []byte
	if len(rest) > 2 && rest[0] == '-' && rest[1] == ' ' && rest[2] == '[' {
		rest = rest[2:]
	} else {
		i := userEnd(rest)
		if i < 0 {
			return nil, errBadCLFTime
		}
		user, rest = dash(rest[:i]), rest[i+1:]
		if len(user) == 2 && user[0] == '"' && user[1] == '"' { // Apache's empty user
			user = user[:0]
		}
	}
	rec.HTUser = p.unescaped(user)
	return rest, nil
}

// userEnd returns the index of the " [" that begins the time stamp after
// a user name, or -1: the first one followed by what looks like a
// time stamp ("[21/Nov/2026:13:45:12 +0100]"), since Apache does not
// escape '[' in a user name. Without one, the first " [".
func userEnd(b []byte) int {
	first := -1
	for off := 0; ; {
		i := bytes.Index(b[off:], spaceBracket)
		if i < 0 {
			return first
		}
		i += off
		if first < 0 {
			first = i
		}
		if t := b[i+1:]; len(t) >= 28 && t[3] == '/' && t[7] == '/' && t[12] == ':' && t[27] == ']' {
			return i
		}
		off = i + 2
	}
}

// spaceBracket ends a user name. A literal []byte(" [") would be copied
// to the heap on every call once the compiler inlines bytes.Index here.
var spaceBracket = []byte(" [")

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// quoted reads the next quoted field after spaces. In a line without a
// backslash nothing is escaped, and the first quote that ends the line or
// comes before a space closes the field: the quick path for one space
// before it.
func (p *Apache) quoted(b []byte) (field, rest []byte, err error) {
	if len(b) > 1 && b[0] == ' ' && b[1] == '"' && !p.backslash && !p.noQuick {
		j := bytes.IndexByte(b[2:], '"') + 2
		if j >= 2 && (j+1 == len(b) || b[j+1] == ' ') {
			return b[2:j], b[j+1:], nil
		}
	}
	return nextQuoted(b)
}

// nextQuoted reads the next quoted field after spaces.
func nextQuoted(b []byte) (field, rest []byte, err error) {
	b = trimLeft(b)
	if len(b) == 0 {
		return nil, nil, errMissing
	}
	if b[0] != '"' {
		return nil, nil, errNotQuoted
	}
	field, rest, ok := quotedField(b)
	if !ok {
		return nil, nil, errUnterminate
	}
	return field, rest, nil
}

// request splits the request line "%r" into method, target and protocol.
func (p *Apache) request(req []byte, rec *HTTP) {
	method, target, proto, ok := splitRequest(req)
	if !ok {
		rec.Method, rec.Protocol = nil, nil
		rec.Datei = p.lt.field(dash(req))
		return
	}
	rec.Method = p.lt.field(method)
	rec.Datei = p.unescaped(target)
	rec.Protocol = p.lt.field(proto)
}

// unescaped returns a field Apache escaped, with the escapes undone and the
// text rule applied.
func (p *Apache) unescaped(b []byte) []byte {
	if !p.backslash || bytes.IndexByte(b, '\\') < 0 {
		return p.lt.field(b)
	}
	// Undone \xHH escapes give bytes 0x80-0xFF: then check the result.
	u, high := unescapeApache(&p.lt.scratch, b)
	if high || !p.lt.plain {
		return textField(&p.lt.scratch, u)
	}
	return u
}

// splitRequest splits "GET /x HTTP/1.1"; "GET /x" (HTTP/0.9) has no
// protocol. A first word that is not an HTTP method token, or a missing
// target, makes the request malformed.
func splitRequest(req []byte) (method, target, proto []byte, ok bool) {
	sp := 0
	if hasPrefix(req, "GET ") { // most requests
		sp = 3
	}
	for sp < len(req) && sp <= 32 && isToken[req[sp]] {
		sp++
	}
	if sp == 0 || sp > 32 || sp == len(req) || req[sp] != ' ' {
		return nil, nil, nil, false
	}
	method, target = req[:sp], req[sp+1:]
	// "HTTP/1.1", "HTTP/1.0" and "HTTP/2.0" are eight bytes: look there
	// first, then anywhere.
	if n := len(target); n > 9 && target[n-9] == ' ' && string(target[n-8:n-3]) == "HTTP/" &&
		isDigit(target[n-3]) && target[n-2] == '.' && isDigit(target[n-1]) {
		target, proto = target[:n-9], target[n-8:]
	} else if last := bytes.LastIndexByte(target, ' '); last >= 0 && hasPrefix(target[last+1:], "HTTP/") {
		target, proto = target[:last], target[last+1:]
	}
	if len(target) == 0 {
		return nil, nil, nil, false
	}
	return method, target, proto, true
}

// isToken says which bytes may appear in an HTTP token (RFC 9110).
var isToken = func() (t [256]bool) {
	for c := range 256 {
		t[c] = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			bytes.IndexByte([]byte("!#$%&'*+-.^_`|~"), byte(c)) >= 0
	}
	return t
}()

// quotedField reads a double-quoted field at the start of b (b[0] must be
// '"'). A backslash escapes the next byte, as in Apache's logs. The
// closing quote must end the line or be followed by a space.
func quotedField(b []byte) (field, rest []byte, ok bool) {
	if len(b) == 0 || b[0] != '"' {
		return nil, nil, false
	}
	i := 1
	for {
		j := bytes.IndexByte(b[i:], '"')
		if j < 0 {
			return nil, nil, false
		}
		j += i
		k := j - 1
		for k > 0 && b[k] == '\\' {
			k--
		}
		if (j-1-k)%2 == 0 && (j+1 == len(b) || b[j+1] == ' ') {
			return b[1:j], b[j+1:], true
		}
		i = j + 1
	}
}

// unescapeApache undoes Apache's escapes `\"`, `\\` and `\xHH` (for bytes
// 0x80-0xFF) and keeps the others as written. It returns b itself when b
// has no backslash; high says a \xHH escape gave a byte 0x80-0xFF.
func unescapeApache(scratch *[]byte, b []byte) (out []byte, high bool) {
	i := bytes.IndexByte(b, '\\')
	if i < 0 {
		return b, false
	}
	start := len(*scratch)
	out = append(*scratch, b[:i]...)
	for i < len(b) {
		c := b[i]
		if c != '\\' || i+1 == len(b) {
			out = append(out, c)
			i++
			continue
		}
		switch n := b[i+1]; n {
		case '"', '\\':
			out = append(out, n)
			i += 2
			continue
		case 'x':
			if i+3 < len(b) {
				hi, ok1 := unhex(b[i+2])
				lo, ok2 := unhex(b[i+3])
				if ok1 && ok2 && hi >= 8 {
					out = append(out, hi<<4|lo)
					i += 4
					high = true
					continue
				}
			}
		}
		out = append(out, c)
		i++
	}
	*scratch = out
	return out[start:len(out):len(out)], high
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// looksLikeHostname reports whether b is a DNS name rather than an
// address: letters, digits, dots and hyphens with at least one letter.
func looksLikeHostname(b []byte) bool {
	letter := false
	for _, c := range b {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
			letter = true
		case c >= '0' && c <= '9', c == '.', c == '-', c == '_':
		default:
			return false
		}
	}
	return letter
}
