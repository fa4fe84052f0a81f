package parsers

import (
	"time"
)

// Squid parses Squid's native access.log format:
//
//	%ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un %Sh/%<a %mt
//
// for example
//
//	1763729112.123    456 10.4.24.77 TCP_MISS/200 1234 GET http://example.com/ - HIER_DIRECT/93.184.216.34 text/html
//
// The zero value is ready to use. A Squid is not safe for concurrent use.
type Squid struct {
	lt lineText
}

// Parse fills rec from one line. The error, if any, is the reject reason;
// rec's slices are valid until the next call.
func (p *Squid) Parse(line []byte, rec *Proxy) error {
	p.lt.reset(line)
	f, rest := nextField(line)
	t, ok := parseEpochMillis(f)
	if !ok {
		return reject("bad timestamp")
	}
	rec.Zeit = t

	f, rest = nextField(rest)
	el, ok := parseUint(f)
	if !ok || el > 1<<31-1 {
		if len(f) == 0 {
			return reject("missing fields")
		}
		return reject("bad elapsed time")
	}
	rec.ElapsedMS = int32(el)

	if rec.Client, f, rest, ok = addrField(rest); !ok {
		if len(f) == 0 {
			return reject("missing fields")
		}
		return reject("bad client address")
	}

	f, rest = nextField(rest)
	if len(f) == 0 {
		return reject("missing fields")
	}
	rec.Status = p.lt.field(f)

	f, rest = nextField(rest)
	if len(f) == 0 {
		return reject("missing fields")
	}
	if rec.Size, ok = parseUint(f); !ok {
		return reject("bad size")
	}

	var method, url, ident, hier []byte
	method, rest = nextField(rest)
	url, rest = longField(rest)
	ident, rest = nextField(rest)
	hier, rest = nextField(rest)
	if len(hier) == 0 {
		return reject("missing fields")
	}
	rec.Method = p.lt.field(method)
	rec.URL = p.lt.field(url)
	rec.Ident = p.lt.field(dash(ident))
	rec.Hierarchy = p.lt.field(hier)
	// The content type may hold spaces ("text/html; charset=utf-8").
	rec.MIME = p.lt.field(dash(trimSpace(rest)))
	return nil
}

// parseEpochMillis parses Squid's "%ts.%03tu": seconds since the epoch, a
// dot and the fraction (three digits in Squid's formats; up to nine are
// accepted).
func parseEpochMillis(b []byte) (time.Time, bool) {
	// Squid writes ten digits, a dot and three: read them without a search
	// for the dot, and check all the digits at once.
	if len(b) == 14 && b[10] == '.' {
		var sec, ms int64
		bad := 0
		for _, c := range b[:10] {
			bad |= 9 - int(c-'0') // negative for a byte that is not a digit
			sec = sec*10 + int64(c-'0')
		}
		for _, c := range b[11:] {
			bad |= 9 - int(c-'0')
			ms = ms*10 + int64(c-'0')
		}
		if bad >= 0 {
			return time.Unix(sec, ms*1e6).UTC(), true
		}
	}
	dot := -1
	for i, c := range b {
		if c == '.' {
			dot = i
			break
		}
	}
	if dot <= 0 || len(b)-dot-1 < 1 || len(b)-dot-1 > 9 {
		return time.Time{}, false
	}
	sec, ok := parseUint(b[:dot])
	if !ok {
		return time.Time{}, false
	}
	frac, ok := parseUint(b[dot+1:])
	if !ok {
		return time.Time{}, false
	}
	for i := len(b) - dot - 1; i < 9; i++ {
		frac *= 10
	}
	return time.Unix(sec, frac).UTC(), true
}
