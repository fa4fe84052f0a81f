package parsers

import (
	"bufio"
	"errors"
	"io"
)

// MaxLineLength is the longest line a LineReader returns whole. Squid logs
// URLs of 8 KB and more; a line beyond this is returned cut, with
// ErrLineTooLong, so the caller can reject it without losing its place.
const MaxLineLength = 1 << 20

// ErrLineTooLong is returned with the first MaxLineLength bytes of a line
// that is longer than that.
var ErrLineTooLong = errors.New("line longer than 1 MiB")

// LineReader returns complete, newline-terminated lines and keeps count of
// line numbers and of the byte offset just past the last complete line. A
// final line without its newline is not returned: it is still being
// written, and the next run will read it once it is complete.
type LineReader struct {
	// Final says the file will not grow (a compressed, rotated file): an
	// unterminated last line is then returned as a line, not held back.
	Final bool

	r       *bufio.Reader
	line    int64
	off     int64
	long    []byte
	pending int
}

// NewLineReader reads lines from r. offset and line say where r starts in
// the whole file (both zero for the beginning), so that Offset and Line
// stay file positions when reading resumes in the middle.
func NewLineReader(r io.Reader, offset, line int64) *LineReader {
	return &LineReader{r: bufio.NewReaderSize(r, 256<<10), off: offset, line: line}
}

// Next returns the next complete line without its line ending (LF or
// CR LF). The slice is valid until the following call. At the end it
// returns io.EOF; Pending then tells how many bytes of an unfinished last
// line were left unread. Read errors are returned as they come.
func (lr *LineReader) Next() ([]byte, error) {
	lr.long = lr.long[:0]
	n := 0
	for {
		frag, err := lr.r.ReadSlice('\n')
		n += len(frag)
		switch {
		case err == nil:
			lr.line++
			lr.off += int64(n)
			if len(lr.long) == 0 {
				return trimEOL(frag), nil
			}
			return lr.appendLong(frag)
		case errors.Is(err, bufio.ErrBufferFull):
			lr.keepLong(frag)
			continue
		case errors.Is(err, io.EOF) && lr.Final && n > 0:
			lr.Final = false // the next call ends with io.EOF
			lr.line++
			lr.off += int64(n)
			if len(lr.long) == 0 {
				return frag, nil
			}
			return lr.appendLong(frag)
		case errors.Is(err, io.EOF):
			lr.pending = n
			return nil, io.EOF
		default:
			return nil, err
		}
	}
}

func (lr *LineReader) keepLong(frag []byte) {
	room := MaxLineLength - len(lr.long)
	if room > 0 {
		lr.long = append(lr.long, frag[:min(room, len(frag))]...)
	}
}

func (lr *LineReader) appendLong(frag []byte) ([]byte, error) {
	full := len(lr.long)+len(frag) > MaxLineLength+1
	lr.keepLong(frag)
	if full {
		return lr.long, ErrLineTooLong
	}
	return trimEOL(lr.long), nil
}

func trimEOL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	return b
}

// Line is the number (1-based) of the last line returned.
func (lr *LineReader) Line() int64 { return lr.line }

// Offset is the byte offset just past the last complete line returned.
func (lr *LineReader) Offset() int64 { return lr.off }

// Pending is the length of an unfinished last line seen at io.EOF.
func (lr *LineReader) Pending() int { return lr.pending }
