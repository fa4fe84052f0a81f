package parsers

import (
	"bytes"
	"unicode/utf8"
)

const hexDigits = "0123456789ABCDEF"

// needsRepair reports whether b holds a NUL byte or invalid UTF-8.
func needsRepair(b []byte) bool {
	return bytes.IndexByte(b, 0) >= 0 || !utf8.Valid(b)
}

// AppendText appends src to dst with the package's text rule applied:
// invalid UTF-8 bytes and NUL bytes become "%HH".
func AppendText(dst, src []byte) []byte {
	for len(src) > 0 {
		c := src[0]
		if c != 0 && c < utf8.RuneSelf {
			dst = append(dst, c)
			src = src[1:]
			continue
		}
		r, size := utf8.DecodeRune(src)
		if c == 0 || (r == utf8.RuneError && size == 1) {
			dst = append(dst, '%', hexDigits[c>>4], hexDigits[c&0xF])
			src = src[1:]
			continue
		}
		dst = append(dst, src[:size]...)
		src = src[size:]
	}
	return dst
}

// textField returns b itself when it is already valid text, otherwise a
// repaired copy appended to *scratch. The common path does not allocate.
func textField(scratch *[]byte, b []byte) []byte {
	if !needsRepair(b) {
		return b
	}
	start := len(*scratch)
	*scratch = AppendText(*scratch, b)
	return (*scratch)[start:len(*scratch):len(*scratch)]
}
