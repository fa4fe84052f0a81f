package parsers

import (
	"bytes"
	"encoding/binary"
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
	// noQuick makes Parse take the general rule for every field; tests
	// compare the two.
	noQuick bool
}

// Parse fills rec from one line. The error, if any, is the reject reason;
// rec's slices are valid until the next call.
func (p *Squid) Parse(line []byte, rec *Proxy) error {
	p.lt.reset(line)
	line = cutMimeHeaders(line) // log_mime_hdrs on
	// The first two fields where Squid writes them, else by the general
	// rule. (A method of their own costs a call: 3 % more instructions.)
	var f, rest []byte
	var ok bool
	if t, el, quick := squidHead(line); quick && !p.noQuick {
		rec.Zeit, rec.ElapsedMS, rest = t, el, line[21:]
	} else {
		f, rest = nextField(line)
		if rec.Zeit, ok = parseEpochMillis(f); !ok {
			if len(f) == 0 && isBlank(line) {
				return ErrBlank
			}
			return reject("bad timestamp")
		}
		f, rest = nextField(rest)
		var el int64
		el, ok = parseUint(f)
		if !ok || el > 1<<31-1 {
			if len(f) == 0 {
				return reject("missing fields")
			}
			return reject("bad elapsed time")
		}
		rec.ElapsedMS = int32(el)
	}

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
	afterURL := rest
	ident, rest = nextField(rest)
	hier, rest = nextField(rest)
	if len(hier) == 0 {
		return reject("missing fields")
	}
	if !hasPrefix(hier, "HIER_") && !isHierarchy(hier) {
		// A user name with spaces ("jan de vries"): it runs up to the
		// first field that is a hierarchy.
		if u, h, r, ok := userBeforeHierarchy(afterURL); ok {
			ident, hier, rest = u, h, r
		}
	}
	rec.Method = p.lt.field(method)
	rec.URL = p.lt.field(url)
	if len(ident) == 1 && ident[0] == '-' {
		rec.Ident = ident[:0]
	} else {
		rec.Ident = squidUser(&p.lt, ident)
	}
	rec.Hierarchy = p.lt.field(hier)
	// The content type may hold spaces ("text/html; charset=utf-8").
	rec.MIME = p.lt.field(dash(trimSpace(rest)))
	return nil
}

// squidHead reads the first two fields where Squid puts them: the time
// stamp in bytes 0-13 and the elapsed time right-aligned in 15-20
// ("%6tr"), each followed by a space. It reports false for anything else
// (a longer elapsed time, say), which the general rule then reads.
func squidHead(b []byte) (time.Time, int32, bool) {
	if len(b) < 22 {
		return time.Time{}, 0, false
	}
	// Bytes 14-21: a space, the six of the elapsed time, a space.
	v := binary.LittleEndian.Uint64(b[14:22])
	const sp, low7 = ' ' * lowBits, 0x7f * lowBits
	x := v ^ sp
	spaces := ^(x&low7 + low7 | x) & highBits // exact: a borrow would flag "!" after a space
	// The spaces must be bytes 0 and 7 and a run from byte 1 on; the
	// rest must be digits, with the last (byte 6) a digit.
	run := spaces >> 15 & 0x0101010101 * 0xff // bytes 1-5, as 0xff each
	if spaces&(0x80|0x80<<56|0x80<<48) != 0x80|0x80<<56 || run&(run+1) != 0 {
		return time.Time{}, 0, false
	}
	// Spaces become zeros: the word reads as ten times the elapsed time.
	d, ok := digits8(v | spaces>>3)
	if !ok {
		return time.Time{}, 0, false
	}
	t, ok := parseEpochMillis(b[:14])
	return t, int32(d / 10), ok
}

// parseEpochMillis parses Squid's "%ts.%03tu": seconds since the epoch, a
// dot and the fraction (three digits in Squid's formats; up to nine are
// accepted).
func parseEpochMillis(b []byte) (time.Time, bool) {
	// Squid writes ten digits, a dot and three: the first eight digits
	// are read as one word, and all thirteen are checked at once.
	if len(b) == 14 && b[10] == '.' {
		hi, ok := digits8(binary.LittleEndian.Uint64(b))
		c8, c9 := int64(b[8])-'0', int64(b[9])-'0'
		m0, m1, m2 := int64(b[11])-'0', int64(b[12])-'0', int64(b[13])-'0'
		// A byte that is not a digit makes 9-c or c negative.
		if ok && (c8|c9|m0|m1|m2|(9-c8)|(9-c9)|(9-m0)|(9-m1)|(9-m2)) >= 0 {
			sec := int64(hi)*100 + c8*10 + c9
			return time.Unix(sec, (m0*100+m1*10+m2)*1e6).UTC(), true
		}
	}
	return parseEpochSlow(b)
}

// digits8 parses eight ASCII digits, the first in v's low byte, in a few
// multiplications instead of a loop.
func digits8(v uint64) (uint64, bool) {
	const zeros = '0' * lowBits
	// Each byte is a digit if it is 0x30-0x39: v^zeros is then below 10,
	// which adding 0x76 keeps below 0x80.
	x := v ^ zeros
	if (x&(0x7f*lowBits)+0x76*lowBits|x)&highBits != 0 {
		return 0, false
	}
	x = x*10 + x>>8 // pairs: byte 0, 2, 4, 6 hold 10*d0+d1, ...
	x = (x&0x000000ff000000ff)*(100+1000000<<32) + (x>>16&0x000000ff000000ff)*(1+10000<<32)
	return x >> 32, true
}

// parseEpochSlow is parseEpochMillis for any number of digits.
func parseEpochSlow(b []byte) (time.Time, bool) {
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

// isHierarchy reports whether f is Squid's "%Sh/%<a": an upper-case code
// and a peer address or "-" ("HIER_DIRECT/93.184.216.34",
// "TIMEOUT_CLOSEST_PARENT/-").
func isHierarchy(f []byte) bool {
	slash := bytes.IndexByte(f, '/')
	if slash <= 0 {
		return false
	}
	for _, c := range f[:slash] {
		if (c < 'A' || c > 'Z') && c != '_' {
			return false
		}
	}
	return true
}

// userBeforeHierarchy splits "USER... HIER REST" where the user name may
// hold spaces: the user is at least one field, and ends before the first
// later field that is a hierarchy.
func userBeforeHierarchy(b []byte) (user, hier, rest []byte, ok bool) {
	b = trimLeft(b)
	f, r := nextField(b)
	if len(f) == 0 {
		return nil, nil, nil, false
	}
	for {
		before := r
		if f, r = nextField(r); len(f) == 0 {
			return nil, nil, nil, false
		}
		if isHierarchy(f) {
			return trimSpace(b[:len(b)-len(before)]), f, r, true
		}
	}
}

// squidUser returns a user name as Squid writes it (%un; "-" for none)
// with Squid's %hh escapes undone for printable bytes. Squid escapes '%',
// '[', ']', control and non-ASCII bytes, and keeps spaces: "j%c3%bcrgen
// m%c3%bcller" is "jürgen müller", as Apache's %u would give it. Escapes
// of control bytes stay as written, so no field holds one; decoded bytes
// that are not valid UTF-8 follow the text rule.
func squidUser(lt *lineText, b []byte) []byte {
	b = dash(b)
	if bytes.IndexByte(b, '%') < 0 {
		return lt.field(b)
	}
	start := len(lt.scratch)
	out := lt.scratch
	high := false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c == '%' && i+2 < len(b) {
			hi, ok1 := unhex(b[i+1])
			lo, ok2 := unhex(b[i+2])
			if v := hi<<4 | lo; ok1 && ok2 && v >= 0x20 && v != 0x7f {
				out = append(out, v)
				high = high || v >= 0x80
				i += 2
				continue
			}
		}
		out = append(out, c)
	}
	lt.scratch = out
	u := out[start:len(out):len(out)]
	if high || !lt.plain {
		return textField(&lt.scratch, u)
	}
	return u
}
