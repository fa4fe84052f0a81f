package parsers

import (
	"bytes"
)

// SquidCommon parses Squid's "common" and "combined" log formats:
//
//	common    %>a %[ui %[un [%tl] "%rm %ru %rp/%rv" %>Hs %<st %Ss:%Sh
//	combined  %>a %[ui %[un [%tl] "%rm %ru %rp/%rv" %>Hs %<st "%{Referer}>h" "%{User-Agent}>h" %Ss:%Sh
//
// for example
//
//	10.4.24.77 - - [21/Nov/2026:13:45:12 +0100] "GET http://example.com/ HTTP/1.1" 200 5120 TCP_MISS:HIER_DIRECT
//
// into the same Proxy record as the native format: Status is rebuilt as
// "%Ss/%03>Hs" ("TCP_MISS/200", "NONE_NONE/000") so it means what it means
// there, Hierarchy is %Sh (without peer), Ident is %[un, and ElapsedMS and
// MIME, which these formats lack, are zero and empty. The time stamp's own
// offset gives the instant. Referer and user agent of combined are checked
// but not kept: table proxy has no column for them.
//
// What Squid writes into these fields, and how each is found:
//   - %[un, the proxy-auth user, may hold spaces and quotes ("jan de
//     vries"); Squid writes '[', ']', '%', control and non-ASCII bytes as
//     %hh, so the user name ends at the " [" of the time stamp. It is
//     decoded as in the native format (see squidUser).
//   - The request is written unescaped: a URL may hold '"' and '|', and
//     Squid's own records have "-" or a word for a method and
//     "NONE/0.0" for a protocol ("- error:transaction-end-before-headers
//     NONE/0.0"). The request ends at the first quote that is followed by
//     a status and a size.
//   - Referer and user agent are the raw header values between quotes:
//     they may hold quotes themselves (`"Mozilla "QuoteBot" 1.0"`). The
//     result code is the line's last field, and what lies between the
//     size and it must be two quoted fields; how the quotes inside divide
//     it does not matter, since neither is kept.
//
// Every line Squid writes is a record, its own error records included
// (a request that ended before its headers: "-" method, status 0). The
// headers Squid appends with log_mime_hdrs on are not kept (see
// cutMimeHeaders).
//
// The zero value parses common; set Combined for combined. A SquidCommon
// is not safe for concurrent use.
type SquidCommon struct {
	Combined bool

	lt lineText
	ts clfCache
	// noQuick makes Parse take the general rule for every line; tests
	// compare the two.
	noQuick bool
}

var (
	errBadRequest = reject("bad request field")
	errNoRefUA    = reject("missing referer or user agent")
	errBadResult  = reject("bad result code")
)

// Parse fills rec from one line. The error, if any, is the reject reason;
// rec's slices are valid until the next call.
func (p *SquidCommon) Parse(line []byte, rec *Proxy) error {
	p.lt.reset(line)
	line = cutMimeHeaders(line) // log_mime_hdrs on
	var ok bool
	var f, rest []byte
	if rec.Client, f, rest, ok = addrField(line); !ok {
		if len(f) == 0 {
			if isBlank(line) {
				return ErrBlank
			}
			return errMissing
		}
		return errBadClient
	}
	var user []byte
	if len(rest) > 5 && rest[0] == ' ' && rest[1] == '-' && rest[2] == ' ' && rest[3] == '-' && rest[4] == ' ' && rest[5] == '[' {
		rest = rest[5:] // "- -": no ident, no user
	} else {
		f, rest = nextField(rest) // %[ui
		rest = trimLeft(rest)
		if len(f) == 0 || len(rest) == 0 {
			return errMissing
		}
		if rest[0] == '[' {
			return errMissing
		}
		i := bytes.Index(rest, spaceBracket)
		if i < 0 {
			return errBadCLFTime
		}
		user, rest = rest[:i], rest[i+1:]
	}
	if rest, ok = p.ts.parse(rest, &rec.Zeit); !ok {
		return errBadCLFTime
	}

	rest = trimLeft(rest)
	if len(rest) == 0 {
		return errMissing
	}
	if rest[0] != '"' {
		return errBadRequest
	}
	var req, next []byte
	var status, size int64
	var err error
	if p.Combined || p.noQuick {
		ok = false
	} else {
		next, req, status, size, ok = squidCommonEnd(rest)
	}
	if !ok {
		if req, status, size, next, rest, err = squidRequest(rest, p.Combined); err != nil {
			return err
		}
	}
	rec.Size = size

	tail, colon := next, 0
	if p.Combined {
		// Referer and user agent: two quoted fields up to the last one.
		rest = trimSpace(rest)
		var mid []byte
		if mid, tail, ok = cutLastField(rest); !ok || len(mid) < 2 || mid[0] != '"' || mid[len(mid)-1] != '"' ||
			!bytes.Contains(mid[1:len(mid)-1], quoteSpaceQuote) {
			return errNoRefUA
		}
	}
	if colon = resultColon(tail); colon < 0 {
		return errBadResult
	}
	code, hier := tail[:colon], tail[colon+1:]

	sc := p.lt.scratch
	start := len(sc)
	if p.lt.plain {
		sc = append(sc, code...)
	} else {
		sc = AppendText(sc, code)
	}
	sc = append(sc, '/', byte('0'+status/100), byte('0'+status/10%10), byte('0'+status%10))
	p.lt.scratch = sc
	rec.Status = sc[start:len(sc):len(sc)]
	rec.ElapsedMS = 0
	method, url := splitSquidRequest(req)
	rec.Method = p.lt.field(method)
	rec.URL = p.lt.field(url)
	rec.Ident = squidUser(&p.lt, user)
	rec.Hierarchy = p.lt.field(hier)
	rec.MIME = nil
	return nil
}

// quoteSpaceQuote separates referer and user agent; a package variable,
// so that bytes.Contains does not copy it to the heap.
var quoteSpaceQuote = []byte(`" "`)

// squidRequest reads the quoted request at the start of b, the status
// and size after it, and the next field. The request ends at the first
// quote followed by a space, a status (digits or "-"), a size and what
// comes next in the format (the result code of common, or the quoted
// referer of combined): a quote inside the URL is followed by something
// else. rest is what follows the size. When no quote qualifies, the error
// is what is wrong after the first quote that ends a field.
func squidRequest(b []byte, combined bool) (req []byte, status, size int64, next, rest []byte, err error) {
	first := -1
	for i := 1; ; {
		j := bytes.IndexByte(b[i:], '"')
		if j < 0 {
			break
		}
		j += i
		if j+1 == len(b) || b[j+1] == ' ' {
			st, r := nextField(b[j+1:])
			sz, r := nextField(r)
			if s, ok := statusValue(st); ok {
				if n, ok := parseSize(sz); ok {
					if combined {
						if nx := trimLeft(r); len(nx) > 0 && nx[0] == '"' {
							return b[1:j], s, n, nil, r, nil
						}
					} else if nx, _ := nextField(r); resultColon(nx) > 0 {
						return b[1:j], s, n, nx, r, nil
					}
				}
			}
			if first < 0 {
				first = j
			}
		}
		i = j + 1
	}
	if first < 0 {
		return nil, 0, 0, nil, nil, errBadRequest
	}
	// The first candidate, for the reason.
	st, r := nextField(b[first+1:])
	sz, r := nextField(r)
	nx, _ := nextField(r)
	_, stOK := statusValue(st)
	switch {
	case len(st) == 0 || len(sz) == 0:
		err = errMissing
	case !stOK:
		err = errBadStatus
	case !isSizeField(sz):
		err = errBadSize
	case combined:
		err = errNoRefUA
	case len(nx) == 0:
		err = errMissing
	default:
		err = errBadResult
	}
	return nil, 0, 0, nil, nil, err
}

// squidCommonEnd reads a common line's end the quick way, from the right:
// result code, size, status, and the quoted request before them, which
// must hold no other quote (else squidRequest decides where it ends).
func squidCommonEnd(b []byte) (tail, req []byte, status, size int64, ok bool) {
	b = trimSpace(b)
	rest, tail, ok := cutLastField(b)
	// A tab is no separator here but is one to the general rule: such a
	// line, which Squid does not write, is left to the general rule.
	if !ok || resultColon(tail) < 0 || bytes.IndexByte(tail, '\t') >= 0 {
		return nil, nil, 0, 0, false
	}
	rest, sz, ok := cutLastField(rest)
	if !ok {
		return nil, nil, 0, 0, false
	}
	rest, st, ok := cutLastField(rest)
	if !ok {
		return nil, nil, 0, 0, false
	}
	if size, ok = parseSize(sz); !ok {
		return nil, nil, 0, 0, false
	}
	if status, ok = statusValue(st); !ok {
		return nil, nil, 0, 0, false
	}
	if n := len(rest); n < 2 || rest[n-1] != '"' || bytes.IndexByte(rest[1:], '"') != n-2 {
		return nil, nil, 0, 0, false
	}
	return tail, rest[1 : len(rest)-1], status, size, true
}

// resultColon returns the index of the colon in "%Ss:%Sh" as Squid writes
// it ("TCP_MISS:HIER_DIRECT": upper-case words), or -1 if b is not one. A
// quoted referer ("https://...") is not one.
func resultColon(b []byte) int {
	if len(b) < 2 || b[0] < 'A' || b[0] > 'Z' {
		return -1
	}
	return bytes.IndexByte(b, ':')
}

// statusValue parses a status as Squid writes it: up to three digits
// ("0", "200"), or "-" for none, which is 0.
func statusValue(b []byte) (int64, bool) {
	switch len(b) {
	case 3:
		d0, d1, d2 := b[0]-'0', b[1]-'0', b[2]-'0'
		return int64(d0)*100 + int64(d1)*10 + int64(d2), d0 <= 9 && d1 <= 9 && d2 <= 9
	case 1:
		if b[0] == '-' {
			return 0, true
		}
		return int64(b[0] - '0'), b[0]-'0' <= 9
	case 2:
		d0, d1 := b[0]-'0', b[1]-'0'
		return int64(d0)*10 + int64(d1), d0 <= 9 && d1 <= 9
	}
	return 0, false
}

// isSizeField reports whether b is a size: digits or "-".
func isSizeField(b []byte) bool {
	_, ok := parseSize(b)
	return ok
}

// splitSquidRequest splits "%rm %ru %rp/%rv" into method and URL. Squid
// writes all three parts ("- error:transaction-end-before-headers
// NONE/0.0"); a URL with spaces (uri_whitespace allow) keeps them. A
// request of fewer parts is still a record: a single word is the URL.
func splitSquidRequest(req []byte) (method, url []byte) {
	sp := bytes.IndexByte(req, ' ')
	if sp < 0 {
		return nil, req
	}
	method, url = req[:sp], req[sp+1:]
	// "HTTP/1.1" and the like are eight bytes: look there first.
	if n := len(url); n > 9 && url[n-9] == ' ' && string(url[n-8:n-3]) == "HTTP/" &&
		isDigit(url[n-3]) && url[n-2] == '.' && isDigit(url[n-1]) {
		return method, url[:n-9]
	}
	if last := lastSpace(url); last >= 0 && isProtocolVersion(url[last+1:]) {
		url = url[:last]
	}
	return method, url
}

// isProtocolVersion reports whether b is "NAME/MAJOR.MINOR" ("HTTP/1.1",
// "NONE/0.0").
func isProtocolVersion(b []byte) bool {
	slash := bytes.IndexByte(b, '/')
	if slash <= 0 || slash+3 > len(b) {
		return false
	}
	dot := false
	for _, c := range b[slash+1:] {
		switch {
		case c == '.' && !dot:
			dot = true
		case c < '0' || c > '9':
			return false
		}
	}
	return dot
}

// cutLastField splits the last space-separated field off b.
func cutLastField(b []byte) (rest, field []byte, ok bool) {
	i := lastSpace(b)
	if i < 0 || i == len(b)-1 {
		return nil, nil, false
	}
	return trimSpace(b[:i]), b[i+1:], true
}
