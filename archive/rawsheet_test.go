package archive

import (
	"bytes"
	"fmt"
	"testing"
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
