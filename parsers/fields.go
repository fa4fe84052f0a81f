package parsers

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"net/netip"
)

// nextField returns the next space-separated field of b and the rest after
// it. Runs of spaces and tabs separate fields (Squid pads some with spaces).
func nextField(b []byte) (field, rest []byte) {
	b = trimLeft(b)
	var j int
	if len(b) >= 16 {
		// indexSep's first step, here to spare a call for a short field.
		if j = sepIndex16(binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[8:])); j == 16 {
			j += indexSep(b[16:])
		}
	} else {
		j = indexSep(b)
	}
	return b[:j], b[j:]
}

// indexSep returns the index of the first space or tab in b, or len(b).
// Most fields are short. Their first 16 bytes are searched as two words
// without a branch on where the separator is: which word holds it varies
// from line to line, and the processor would guess wrong half the time.
// The next 16 go eight at a time, and a longer field (a URL) goes on
// with the vectorised IndexByte.
func indexSep(b []byte) int {
	if len(b) < 16 {
		// The end of a line: its copy padded with spaces.
		w := [16]byte{' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '}
		copy(w[:], b)
		return min(sepIndex16(binary.LittleEndian.Uint64(w[:8]), binary.LittleEndian.Uint64(w[8:])), len(b))
	}
	if i := sepIndex16(binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[8:])); i < 16 {
		return i
	}
	i := 16
	for ; i+8 <= len(b); i += 8 {
		if m := sepHigh(binary.LittleEndian.Uint64(b[i:])); m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
		if i == 24 {
			return i + 8 + indexSepLong(b[i+8:])
		}
	}
	for ; i < len(b); i++ {
		if c := b[i]; c == ' ' || c == '\t' {
			return i
		}
	}
	return len(b)
}

// sepIndex16 returns the index of the first space or tab in the 16 bytes
// of a and b (a first, each low byte first), or 16.
func sepIndex16(a, b uint64) int {
	// t is 64 when a has none: then 64 plus b's count, else t.
	t := bits.TrailingZeros64(sepHigh(a))
	return (t + t>>6*bits.TrailingZeros64(sepHigh(b))) >> 3
}

// sepIndex32 returns the index of the first space or tab in w, or 32.
func sepIndex32(w *[32]byte) int {
	m := sepBits(binary.LittleEndian.Uint64(w[:8])) | sepBits(binary.LittleEndian.Uint64(w[8:16]))<<8 |
		sepBits(binary.LittleEndian.Uint64(w[16:24]))<<16 | sepBits(binary.LittleEndian.Uint64(w[24:]))<<24
	return bits.TrailingZeros64(m | 1<<32)
}

// sepBits returns a bit per byte of v, the low byte first, set for a space
// or a tab; the lowest one set is exact, as in sepHigh.
func sepBits(v uint64) uint64 {
	return (sepHigh(v) >> 7) * 0x0102040810204080 >> 56 // byte i's high bit to bit i
}

// sepHigh sets the high bit of each byte of v that is a space or a tab;
// the lowest one set is exact (a borrow can only flag bytes above a real
// hit).
func sepHigh(v uint64) uint64 {
	const sp, tab = ' ' * lowBits, '\t' * lowBits
	x, y := v^sp, v^tab
	return ((x-lowBits)&^x | (y-lowBits)&^y) & highBits
}

// lastSpace returns the index of the last space in b, or -1. The fields
// searched (the end of a line, a request's "HTTP/1.1") are short, and
// eight bytes at a time from the end beat a byte loop.
func lastSpace(b []byte) int {
	const sp, low7 = ' ' * lowBits, lowBits * 0x7f
	i := len(b)
	for ; i >= 8; i -= 8 {
		x := binary.LittleEndian.Uint64(b[i-8:]) ^ sp
		// Exact: a byte's high bit survives only if the byte is zero,
		// so the highest one is the last space.
		if m := ^((x&low7 + low7) | x) & highBits; m != 0 {
			return i - 8 + (63-bits.LeadingZeros64(m))>>3
		}
	}
	for i--; i >= 0; i-- {
		if b[i] == ' ' {
			return i
		}
	}
	return -1
}

// longField is nextField for a field that is long (a URL) or of varying
// length (a virtual host): the vectorised search from its first byte,
// whose path does not depend on the length.
func longField(b []byte) (field, rest []byte) {
	b = trimLeft(b)
	j := indexSepLong(b)
	return b[:j], b[j:]
}

func indexSepLong(b []byte) int {
	j := bytes.IndexByte(b, ' ')
	if j < 0 {
		j = len(b)
	}
	if k := bytes.IndexByte(b[:j], '\t'); k >= 0 {
		j = k
	}
	return j
}

// hasPrefix is bytes.HasPrefix for a constant prefix, which the compiler
// then compares in place; bytes.HasPrefix calls a general comparison for
// every few bytes.
func hasPrefix(b []byte, p string) bool { return len(b) >= len(p) && string(b[:len(p)]) == p }

// hasColonEnd reports whether b ends with ':', as a syslog tag does.
func hasColonEnd(b []byte) bool { return len(b) > 0 && b[len(b)-1] == ':' }

// trimSpace drops leading and trailing spaces and tabs.
func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// parseUint parses a non-empty run of ASCII digits that fits in 63 bits.
func parseUint(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// addrField reads the address field at the start of b (after spaces). A
// dotted quad is read straight from the line, which spares finding the
// field's end first; anything else goes through nextField and parseAddr.
// field is what was read, for the caller's reject reason.
func addrField(b []byte) (addr netip.Addr, field, rest []byte, ok bool) {
	b = trimLeft(b)
	if a, n := ipv4Prefix(b); n > 0 && n < len(b) && (b[n] == ' ' || b[n] == '\t') {
		return a, b[:n], b[n:], true
	}
	field, rest = nextField(b)
	addr, ok = parseAddr(field)
	return addr, field, rest, ok
}

// parseAddr parses an address. A canonical dotted quad ("10.4.24.77") is
// read without allocating; anything else (IPv6, or what may be an invalid
// IPv4 address) goes to netip, which also rejects leading zeros in IPv4.
// IPv4-mapped IPv6 addresses are unmapped so that they match IPv4 LAN
// prefixes.
func parseAddr(b []byte) (netip.Addr, bool) {
	if a, n := ipv4Prefix(b); n > 0 && n == len(b) {
		return a, true
	}
	return parseAddrSlow(b)
}

// ipv4Prefix reads a canonical dotted quad at the start of b and returns
// it with its length; 0 when b does not start with one. What follows is
// the caller's to check: for "1.2.3.4567" it reads "1.2.3.456".
func ipv4Prefix(b []byte) (netip.Addr, int) {
	// A dotted quad is at most 15 bytes: read them from a fixed window,
	// zero-padded (a zero byte is neither a digit nor a dot), and no index
	// needs a bounds check.
	var w [16]byte
	if len(b) >= 16 {
		w = [16]byte(b)
	} else {
		copy(w[:], b)
	}
	var a [4]byte
	i := 0
	for part := range 4 {
		if part > 0 {
			if w[i&15] != '.' {
				return netip.Addr{}, 0
			}
			i++
		}
		// i <= 4*part here, so i+2 < 16. Octets of one, two and three
		// digits come mixed in a log: the digits are counted without
		// branches, which the processor could not predict. (Finding the
		// dots and digits of all 16 bytes with word masks first ran as
		// many instructions and took longer.)
		c0, c1, c2 := w[i&15]-'0', w[(i+1)&15]-'0', w[(i+2)&15]-'0'
		if c0 > 9 {
			return netip.Addr{}, 0
		}
		d1 := int((uint(c1) - 10) >> 63) // 1 when c1 is a digit
		d2 := d1 & int((uint(c2)-10)>>63)
		n := int(c0)
		n += d1 * (9*n + int(c1)) // n*10 + c1
		n += d2 * (9*n + int(c2))
		d := 1 + d1 + d2
		if n > 255 || c0 == 0 && d > 1 { // leading zero
			return netip.Addr{}, 0
		}
		a[part] = byte(n)
		i += d
	}
	return netip.AddrFrom4(a), i
}

func parseAddrSlow(b []byte) (netip.Addr, bool) {
	if len(b) == 0 || len(b) > 64 {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(string(b))
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// dash maps the log convention "-" (no value) to empty.
func dash(b []byte) []byte {
	if len(b) == 1 && b[0] == '-' {
		return b[:0]
	}
	return b
}

// parseSize parses a byte count; "-" (nothing sent) is 0.
func parseSize(b []byte) (int64, bool) {
	if len(b) == 1 && b[0] == '-' {
		return 0, true
	}
	return parseUint(b)
}

func trimLeft(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	return b
}

// isBlank reports whether b holds nothing but spaces and tabs.
func isBlank(b []byte) bool {
	return len(trimLeft(b)) == 0
}

// cutMimeHeaders removes the " [request headers] [reply headers]" that
// Squid appends to each line of its built-in formats with log_mime_hdrs
// on. Squid writes '[' and ']' inside them as %5b and %5d, so the last
// two '[' of such a line open them.
func cutMimeHeaders(b []byte) []byte {
	n := len(b)
	if n < 6 || b[n-1] != ']' {
		return b
	}
	i := bytes.LastIndexByte(b, '[')
	if i < 3 || b[i-1] != ' ' || b[i-2] != ']' {
		return b
	}
	j := bytes.LastIndexByte(b[:i-2], '[')
	if j < 1 || b[j-1] != ' ' || bytes.IndexByte(b[j:i-2], ']') >= 0 {
		return b
	}
	return b[:j-1]
}
