package archive

import (
	"net/netip"
	"strconv"
	"time"
)

// FieldKind says what a Field holds.
type FieldKind uint8

// The kinds of field.
const (
	Null FieldKind = iota
	TextField
	IntField
	TimeField // I: microseconds since the Unix epoch
	AddrField
)

// A Field is one value of a raw row as the database holds it. A raw row is
// read once and written to both its .asc line and its raw sheet row, so
// the two cannot disagree and the rows are sorted once.
type Field struct {
	Kind FieldKind
	B    []byte // TextField
	I    int64  // IntField, TimeField
	A    netip.Prefix
}

// Time is a TimeField's instant.
func (f *Field) Time() time.Time { return time.UnixMicro(f.I) }

// Row writes one .asc line of fields exactly as PostgreSQL's COPY text
// format with DELIMITER '|' and NULL ” writes the row: NULL as nothing,
// text escaped (appendField), integers in decimal, inet as PostgreSQL
// prints it, and zeit as TimeLayout in the configured zone.
func (a *ASC) Row(fields []Field) error {
	for i := range fields {
		f := &fields[i]
		switch f.Kind {
		case TextField:
			a.line = appendField(a.line, f.B)
		case IntField:
			a.line = strconv.AppendInt(a.line, f.I, 10)
		case TimeField:
			a.line = appendTime(a.line, f.Time().In(a.loc))
		case AddrField:
			a.line = appendInet(a.line, f.A)
		}
		a.line = append(a.line, '|')
	}
	return a.end()
}

// appendInet appends an inet value as PostgreSQL's output function does:
// the address, then "/bits" unless the prefix is the whole address.
// PostgreSQL formats IPv6 like RFC 5952, as netip does, but for one case
// of its own: an IPv4-compatible address (96 zero bits, then a nonzero
// word) is written "::a.b.c.d".
func appendInet(b []byte, p netip.Prefix) []byte {
	a := p.Addr()
	if a.Is6() && !a.Is4In6() {
		s := a.As16()
		zero := true
		for _, c := range s[:12] {
			zero = zero && c == 0
		}
		if zero && (s[12] != 0 || s[13] != 0) {
			b = append(b, "::"...)
			b = netip.AddrFrom4([4]byte(s[12:16])).AppendTo(b)
			return appendBits(b, p)
		}
	}
	return appendBits(a.AppendTo(b), p)
}

func appendBits(b []byte, p netip.Prefix) []byte {
	if p.Bits() >= 0 && p.Bits() != p.Addr().BitLen() {
		b = append(b, '/')
		b = strconv.AppendInt(b, int64(p.Bits()), 10)
	}
	return b
}
