package parsers

import (
	"bytes"
	"encoding/binary"
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

// Bit masks for testing eight bytes at once.
const (
	lowBits  = 0x0101010101010101
	highBits = 0x8080808080808080
)

// isPlain reports whether every byte of b is ASCII and not NUL, so that
// every field cut from b is valid text as it is.
//
// Eight bytes are tested at a time: v&highBits finds bytes >= 0x80, and
// (v-lowBits)&^v&highBits finds zero bytes (exactly, when no byte is
// >= 0x80; otherwise b is not plain anyway). An AVX2 check from a library
// ran fewer instructions but took 1.7 times as long a line: it returns
// without VZEROUPPER, and the SSE code after it (IndexByte) pays for that.
func isPlain(b []byte) bool {
	if len(b) < 8 {
		for _, c := range b {
			if c == 0 || c >= utf8.RuneSelf {
				return false
			}
		}
		return true
	}
	// The last eight bytes, overlapping some seen below, spare a byte loop.
	v := binary.LittleEndian.Uint64(b[len(b)-8:])
	bad := v | (v-lowBits)&^v
	for len(b) >= 32 {
		w := (*[32]byte)(b) // one bounds check for four words
		v, u := binary.LittleEndian.Uint64(w[0:8]), binary.LittleEndian.Uint64(w[8:16])
		x, y := binary.LittleEndian.Uint64(w[16:24]), binary.LittleEndian.Uint64(w[24:32])
		bad |= v | (v-lowBits)&^v | u | (u-lowBits)&^u | x | (x-lowBits)&^x | y | (y-lowBits)&^y
		b = b[32:]
	}
	for len(b) >= 8 {
		v := binary.LittleEndian.Uint64(b)
		bad |= v | (v-lowBits)&^v
		b = b[8:]
	}
	return bad&highBits == 0
}

// lineText applies the text rule to fields of one line: when the line is
// plain (see isPlain) fields pass unchecked, otherwise each goes through
// textField.
type lineText struct {
	scratch []byte
	plain   bool
}

func (lt *lineText) reset(line []byte) {
	lt.scratch = lt.scratch[:0]
	lt.plain = isPlain(line)
}

func (lt *lineText) field(b []byte) []byte {
	if lt.plain {
		return b
	}
	return textField(&lt.scratch, b)
}
