package parsers

import (
	"bytes"
	"net/netip"
)

// nextField returns the next space-separated field of b and the rest after
// it. Runs of spaces and tabs separate fields (Squid pads some with spaces).
func nextField(b []byte) (field, rest []byte) { return splitField(b, true) }

// splitField is nextField; with tabs false the caller knows the line has
// no tab, and the search for one is skipped.
func splitField(b []byte, tabs bool) (field, rest []byte) {
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	b = b[i:]
	// Most fields are short and a byte loop ends them soonest; a long one
	// (a URL) goes on with the vectorised IndexByte, which over a byte
	// loop halves the time of a Squid line.
	const short = 24
	n := min(len(b), short)
	for j := 0; j < n; j++ {
		if c := b[j]; c == ' ' || c == '\t' {
			return b[:j], b[j:]
		}
	}
	if len(b) == n {
		return b, b[n:]
	}
	j := bytes.IndexByte(b[n:], ' ')
	if j < 0 {
		j = len(b)
	} else {
		j += n
	}
	if tabs {
		if k := bytes.IndexByte(b[n:j], '\t'); k >= 0 {
			j = n + k
		}
	}
	return b[:j], b[j:]
}

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

// parseAddr parses an address. A canonical dotted quad ("10.4.24.77") is
// read without allocating; anything else (IPv6, or what may be an invalid
// IPv4 address) goes to netip, which also rejects leading zeros in IPv4.
// IPv4-mapped IPv6 addresses are unmapped so that they match IPv4 LAN
// prefixes.
func parseAddr(b []byte) (netip.Addr, bool) {
	var a [4]byte
	i := 0
	for part := range 4 {
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return parseAddrSlow(b)
		}
		n := int(b[i] - '0')
		i++
		for k := 0; k < 2 && i < len(b) && b[i] >= '0' && b[i] <= '9'; k++ {
			if n == 0 { // leading zero
				return parseAddrSlow(b)
			}
			n = n*10 + int(b[i]-'0')
			i++
		}
		if n > 255 {
			return parseAddrSlow(b) // "700::" is IPv6
		}
		a[part] = byte(n)
		if part < 3 {
			if i >= len(b) || b[i] != '.' {
				return parseAddrSlow(b)
			}
			i++
		}
	}
	if i != len(b) {
		return parseAddrSlow(b)
	}
	return netip.AddrFrom4(a), true
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
