package parsers

import (
	"errors"
	"fmt"
)

// ParseError is a rejected line: where it was and why. Parsers return it
// for a line they cannot turn into a record; the stream goes on.
type ParseError struct {
	File   string // source file, as the caller named it
	Line   int64  // 1-based line number
	Offset int64  // byte offset of the line's start
	Reason string // short, stable, lower-case reason ("bad timestamp")
	Raw    []byte // the raw line, as read
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Reason)
}

// reject is a parse failure without a position; the caller adds file, line
// and raw bytes when it turns it into a ParseError.
type reject string

func (r reject) Error() string { return string(r) }

// Reason returns the stable reason text of a parser's error.
func Reason(err error) string {
	var r reject
	if errors.As(err, &r) {
		return string(r)
	}
	return err.Error()
}

// Reasons shared by the line parsers.
var (
	errMissing    = reject("missing fields")
	errBadClient  = reject("bad client address")
	errBadCLFTime = reject("bad timestamp")
	errBadStatus  = reject("bad status")
	errBadSize    = reject("bad size")
)
