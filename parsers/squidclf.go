package parsers

import (
	"bytes"
)

// SquidCommon parses Squid's "common" and "combined" log formats:
//
//	common    %>a %[ui %[un [%tl] "%rm %ru HTTP/%rv" %>Hs %<st %Ss:%Sh
//	combined  %>a %[ui %[un [%tl] "%rm %ru HTTP/%rv" %>Hs %<st "%{Referer}>h" "%{User-Agent}>h" %Ss:%Sh
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
// The line is read from both ends: client, user and time from the left,
// result code, sizes and (combined) the two header fields from the right,
// and what remains is the request. So a URL holding quotes or spaces does
// not shift the other fields.
//
// The zero value parses common; set Combined for combined. A SquidCommon
// is not safe for concurrent use.
type SquidCommon struct {
	Combined bool

	lt lineText
	ts clfCache
}

var errBadRequest = reject("bad request field")

// Parse fills rec from one line. The error, if any, is the reject reason;
// rec's slices are valid until the next call.
func (p *SquidCommon) Parse(line []byte, rec *Proxy) error {
	p.lt.reset(line)
	var ok bool
	var f, rest []byte
	if rec.Client, f, rest, ok = addrField(line); !ok {
		if len(f) == 0 {
			return errMissing
		}
		return errBadClient
	}
	_, rest = nextField(rest) // %[ui
	un, rest := nextField(rest)
	if len(un) == 0 {
		return errMissing
	}
	if rest, ok = p.ts.parse(trimLeft(rest), &rec.Zeit); !ok {
		return errBadCLFTime
	}

	rest = trimSpace(rest)
	var tail []byte
	if rest, tail, ok = cutLastField(rest); !ok {
		return errMissing
	}
	colon := bytes.IndexByte(tail, ':')
	if colon <= 0 {
		return reject("bad result code")
	}
	code, hier := tail[:colon], tail[colon+1:]

	if p.Combined {
		if rest, ok = cutLastQuoted(rest); !ok { // user agent
			return reject("missing referer or user agent")
		}
		if rest, ok = cutLastQuoted(rest); !ok { // referer
			return reject("missing referer or user agent")
		}
	}

	var sizeF, statusF []byte
	if rest, sizeF, ok = cutLastField(rest); !ok {
		return errMissing
	}
	if rest, statusF, ok = cutLastField(rest); !ok {
		return errMissing
	}
	if rec.Size, ok = parseSize(sizeF); !ok {
		return errBadSize
	}
	status := int64(0)
	if !(len(statusF) == 1 && statusF[0] == '-') {
		if status, ok = parseUint(statusF); !ok || status > 999 {
			return errBadStatus
		}
	}

	if len(rest) < 2 || rest[0] != '"' || rest[len(rest)-1] != '"' {
		return errBadRequest
	}
	req := rest[1 : len(rest)-1]
	sp := bytes.IndexByte(req, ' ')
	last := lastSpace(req)
	if sp <= 0 || last <= sp || !hasPrefix(req[last+1:], "HTTP/") {
		return errBadRequest
	}

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
	rec.Method = p.lt.field(req[:sp])
	rec.URL = p.lt.field(req[sp+1 : last])
	rec.Ident = p.lt.field(dash(un))
	rec.Hierarchy = p.lt.field(hier)
	rec.MIME = nil
	return nil
}

// cutLastField splits the last space-separated field off b.
func cutLastField(b []byte) (rest, field []byte, ok bool) {
	i := lastSpace(b)
	if i < 0 || i == len(b)-1 {
		return nil, nil, false
	}
	return trimSpace(b[:i]), b[i+1:], true
}

// cutLastQuoted removes a final ` "..."` field from b.
func cutLastQuoted(b []byte) (rest []byte, ok bool) {
	if len(b) < 3 || b[len(b)-1] != '"' {
		return nil, false
	}
	for end := len(b) - 1; ; {
		i := bytes.LastIndexByte(b[:end], '"')
		if i <= 0 {
			return nil, false
		}
		if b[i-1] == ' ' {
			return trimSpace(b[:i-1]), true
		}
		end = i
	}
}
