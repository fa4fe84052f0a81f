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

// scanLine looks at a whole line once. plain: every byte is ASCII and not
// NUL, so every field cut from the line is valid text as it is. backslash:
// the line holds a '\'.
//
// Eight bytes are tested at a time: v&highBits finds bytes >= 0x80, and
// (v-lowBits)&^v&highBits finds zero bytes (exactly, when no byte is
// >= 0x80; otherwise the line is not plain anyway). Backslashes are the
// zero bytes of v^('\\'*lowBits).
func scanLine(b []byte) (plain, backslash bool) {
	const bs = '\\' * lowBits
	if len(b) < 8 {
		plain = true
		for _, c := range b {
			plain = plain && c != 0 && c < utf8.RuneSelf
			backslash = backslash || c == '\\'
		}
		return plain, backslash
	}
	var bad, back uint64
	all := b
	for len(b) >= 16 {
		v := binary.LittleEndian.Uint64(b)
		u := binary.LittleEndian.Uint64(b[8:])
		x, y := v^bs, u^bs
		bad |= v | (v-lowBits)&^v | u | (u-lowBits)&^u
		back |= (x-lowBits)&^x | (y-lowBits)&^y
		b = b[16:]
	}
	if len(b) >= 8 {
		v := binary.LittleEndian.Uint64(b)
		x := v ^ bs
		bad |= v | (v-lowBits)&^v
		back |= (x - lowBits) &^ x
		b = b[8:]
	}
	if len(b) > 0 { // the last eight bytes, overlapping ones already seen
		v := binary.LittleEndian.Uint64(all[len(all)-8:])
		x := v ^ bs
		bad |= v | (v-lowBits)&^v
		back |= (x - lowBits) &^ x
	}
	return bad&highBits == 0, back&highBits != 0
}

// lineText applies the text rule to fields of one line: when the line is
// plain (see scanLine) fields pass unchecked, otherwise each goes through
// textField.
type lineText struct {
	scratch []byte
	plain   bool
}

func (lt *lineText) reset(line []byte) (backslash bool) {
	lt.scratch = lt.scratch[:0]
	lt.plain, backslash = scanLine(line)
	return backslash
}

func (lt *lineText) field(b []byte) []byte {
	if lt.plain {
		return b
	}
	return textField(&lt.scratch, b)
}
