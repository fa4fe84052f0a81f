package schema

import (
	"bytes"
	"encoding/binary"
	"errors"
)

// CopyReader decodes a binary COPY stream (COPY … TO STDOUT (FORMAT
// binary), the format CopyBuffer writes) as it arrives and hands each row's
// fields to row: a NULL is a nil slice, an empty text a non-nil one. The
// slices point into the stream's buffer and are valid only during the call,
// so no row costs an allocation.
type CopyReader struct {
	ncols  int
	row    func(fields [][]byte) error
	fields [][]byte
	carry  []byte // the start of a row whose end has not arrived yet
	header bool
	done   bool
	rows   int64
}

// Rows is how many rows were decoded.
func (c *CopyReader) Rows() int64 { return c.rows }

// NewCopyReader decodes rows of ncols fields through row.
func NewCopyReader(ncols int, row func([][]byte) error) *CopyReader {
	return &CopyReader{ncols: ncols, row: row, fields: make([][]byte, ncols)}
}

// ErrCopyFormat is data that is not binary COPY as the reader expects it.
var ErrCopyFormat = errors.New("malformed binary COPY data")

// Write takes the stream in pieces of any size (pgconn gives one message
// at a time, which is one row).
func (c *CopyReader) Write(p []byte) (int, error) {
	n := len(p)
	data := p
	if len(c.carry) > 0 {
		c.carry = append(c.carry, p...)
		data = c.carry
	}
	used, err := c.parse(data)
	if err != nil {
		return 0, err
	}
	rest := data[used:]
	if len(c.carry) > 0 {
		c.carry = append(c.carry[:0], rest...)
	} else {
		c.carry = append(c.carry, rest...)
	}
	return n, nil
}

// parse consumes the complete header and rows at the start of b and says
// how many bytes they took.
func (c *CopyReader) parse(b []byte) (int, error) {
	off := 0
	if !c.header {
		const fixed = 11 + 4 + 4 // signature, flags, extension length
		if len(b) < fixed {
			return 0, nil
		}
		if !bytes.Equal(b[:11], copyHeader[:11]) {
			return 0, ErrCopyFormat
		}
		ext := int(binary.BigEndian.Uint32(b[15:19]))
		if len(b) < fixed+ext {
			return 0, nil
		}
		off = fixed + ext
		c.header = true
	}
	for off < len(b) {
		if c.done {
			return 0, ErrCopyFormat
		}
		if len(b)-off < 2 {
			return off, nil
		}
		nf := int(int16(binary.BigEndian.Uint16(b[off:])))
		if nf == -1 {
			c.done = true
			off += 2
			continue
		}
		if nf != c.ncols {
			return 0, ErrCopyFormat
		}
		pos := off + 2
		for i := 0; i < nf; i++ {
			if len(b)-pos < 4 {
				return off, nil
			}
			l := int(int32(binary.BigEndian.Uint32(b[pos:])))
			pos += 4
			if l < 0 {
				c.fields[i] = nil
				continue
			}
			if len(b)-pos < l {
				return off, nil
			}
			c.fields[i] = b[pos : pos+l : pos+l]
			pos += l
		}
		if err := c.row(c.fields); err != nil {
			return 0, err
		}
		c.rows++
		off = pos
	}
	return off, nil
}

// Finish checks that the stream ended where it should.
func (c *CopyReader) Finish() error {
	if !c.done || len(c.carry) > 0 {
		return ErrCopyFormat
	}
	return nil
}
