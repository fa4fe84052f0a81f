package archive

import (
	"bytes"
	"fmt"
	"testing"
	"time"
	"unicode/utf8"
)

// xmlTextByByte is appendXMLText as first written, a byte at a time: the
// reference the faster one must match.
func xmlTextByByte(b []byte, s []byte) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '&':
			b = append(b, "&amp;"...)
		case c == '<':
			b = append(b, "&lt;"...)
		case c == '>':
			b = append(b, "&gt;"...)
		case c < 0x20 && c != '\t' && c != '\n' && c != '\r':
			b = fmt.Appendf(b, "_x%04X_", c)
		case c == '_' && looksEscaped(s[i:]):
			b = append(b, "_x005F_"...)
		case c >= utf8.RuneSelf:
			r, n := utf8.DecodeRune(s[i:])
			if r == 0xFFFE || r == 0xFFFF || r == utf8.RuneError && n == 1 {
				b = fmt.Appendf(b, "_x%04X_", r)
			} else {
				b = append(b, s[i:i+n]...)
			}
			i += n
			continue
		default:
			b = append(b, c)
		}
		i++
	}
	return b
}

// FuzzAppendXMLText: the escaping copies plain runs whole and gives the
// reference's bytes for any text.
func FuzzAppendXMLText(f *testing.F) {
	for _, s := range []string{"", "plain", "a&b<c>d", "_x0041_", "_x00G1_", "__x0041_", "tab\there\r\n", "\x00\x1f\x7f",
		"jörg", "\xff\xfe", "\uFFFE\uFFFF", "http://example.com/a_b?c=d&e", "_"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, s []byte) {
		prefix := []byte("<t>")
		got := appendXMLText(bytes.Clone(prefix), s)
		want := xmlTextByByte(bytes.Clone(prefix), s)
		if !bytes.Equal(got, want) {
			t.Fatalf("%q: got %q, want %q", s, got, want)
		}
	})
}

// fieldByByte is appendField as first written, a byte at a time.
func fieldByByte(dst, b []byte) []byte {
	for _, c := range b {
		switch c {
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

// FuzzAppendField: COPY's escaping copies plain runs whole and gives the
// reference's bytes for any text.
func FuzzAppendField(f *testing.F) {
	for _, s := range []string{"", "plain", `a\b|c`, "\b\f\n\r\t\v", "jörg|\\", "|||"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, s []byte) {
		if got, want := appendField([]byte("x|"), s), fieldByByte([]byte("x|"), s); !bytes.Equal(got, want) {
			t.Fatalf("%q: got %q, want %q", s, got, want)
		}
	})
}

// FuzzAppendTime: zeit is written as AppendFormat(TimeLayout) writes it,
// in zones with half hours, quarter hours, old local mean times and
// summer time.
func FuzzAppendTime(f *testing.F) {
	for _, s := range []int64{0, 1763679600123456, 1763679600000000, 1763679600100000, -2208988800000000, 253402300799999999, -62135596800000000, 1792540800000001} {
		f.Add(s)
	}
	var zones []*time.Location
	for _, name := range []string{"Europe/Berlin", "America/St_Johns", "Asia/Kathmandu", "Pacific/Chatham", "UTC", "America/Sao_Paulo"} {
		loc, err := time.LoadLocation(name)
		if err != nil {
			f.Fatal(err)
		}
		zones = append(zones, loc)
	}
	zones = append(zones, time.FixedZone("", -(2*3600+30*60)), time.FixedZone("", 53*60+28))
	f.Fuzz(func(t *testing.T, us int64) {
		for _, loc := range zones {
			tm := time.UnixMicro(us).In(loc)
			if got, want := appendTime(nil, tm), tm.AppendFormat(nil, TimeLayout); !bytes.Equal(got, want) {
				t.Fatalf("%d in %s: got %q, want %q", us, loc, got, want)
			}
		}
	})
}

// serialByWall is excelSerial as first written: the wall clock's fields
// taken apart and put together again in UTC.
func serialByWall(t time.Time, loc *time.Location) float64 {
	l := t.In(loc)
	wall := time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), l.Nanosecond(), time.UTC)
	return float64(wall.UnixMicro())/(86400*1e6) + 25569
}

// FuzzExcelSerial: the serial is the same float as the wall clock's.
func FuzzExcelSerial(f *testing.F) {
	for _, s := range []int64{0, 1763679600123456, 1792540800000001, 1792544400000000, -2208988800000000, 253402300799999999} {
		f.Add(s)
	}
	var zones []*time.Location
	for _, name := range []string{"Europe/Berlin", "America/St_Johns", "Pacific/Chatham", "UTC"} {
		loc, err := time.LoadLocation(name)
		if err != nil {
			f.Fatal(err)
		}
		zones = append(zones, loc)
	}
	zones = append(zones, time.FixedZone("", 53*60+28))
	f.Fuzz(func(t *testing.T, us int64) {
		// Years 1 to 9999: past them the old way's dates overflow too.
		if us < -62135596800000000 || us > 253402300799999999 {
			return
		}
		tm := time.UnixMicro(us)
		for _, loc := range zones {
			if got, want := excelSerial(tm, loc), serialByWall(tm, loc); got != want {
				t.Fatalf("%d in %s: %v, want %v", us, loc, got, want)
			}
		}
	})
}
