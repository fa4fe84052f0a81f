package rollup

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// copySignature opens every binary COPY stream.
var copySignature = []byte("PGCOPY\n\xff\r\n\x00")

// copyRows decodes a binary COPY stream as it arrives and hands each row's
// fields to row: a NULL is a nil slice, an empty text a non-nil one. The
// slices point into the stream's buffer and are valid only during the call,
// so no row costs an allocation.
type copyRows struct {
	ncols  int
	row    func(fields [][]byte) error
	fields [][]byte
	carry  []byte // the start of a row whose end has not arrived yet
	header bool
	done   bool
	rows   int64
}

func newCopyRows(ncols int, row func([][]byte) error) *copyRows {
	return &copyRows{ncols: ncols, row: row, fields: make([][]byte, ncols)}
}

var errCopyFormat = errors.New("malformed binary COPY data")

// Write takes the stream in pieces of any size (pgconn gives one message
// at a time, which is one row).
func (c *copyRows) Write(p []byte) (int, error) {
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
func (c *copyRows) parse(b []byte) (int, error) {
	off := 0
	if !c.header {
		const fixed = 11 + 4 + 4 // signature, flags, extension length
		if len(b) < fixed {
			return 0, nil
		}
		if !bytes.Equal(b[:11], copySignature) {
			return 0, errCopyFormat
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
			return 0, errCopyFormat
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
			return 0, errCopyFormat
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

// finish checks that the stream ended where it should.
func (c *copyRows) finish() error {
	if !c.done || len(c.carry) > 0 {
		return errCopyFormat
	}
	return nil
}

// dayRows streams cols of the day's rows of src (a partition, or the
// parent table) through row. COPY (query) takes no parameters: the bounds
// are timestamps we format ourselves, never text from a log.
func dayRows(ctx context.Context, tx pgx.Tx, d dayRange, cols []string, row func([][]byte) error) (int64, error) {
	quoted := make([]string, len(cols))
	for i, col := range cols {
		quoted[i] = pgx.Identifier{col}.Sanitize()
	}
	sql := fmt.Sprintf("COPY (SELECT %s FROM %s WHERE zeit >= %s AND zeit < %s) TO STDOUT (FORMAT binary)",
		strings.Join(quoted, ", "), pgx.Identifier{d.src}.Sanitize(), literal(d.start), literal(d.end))
	c := newCopyRows(len(cols), row)
	if _, err := tx.Conn().PgConn().CopyTo(ctx, c, sql); err != nil {
		return c.rows, fmt.Errorf("read the day's rows: %w", err)
	}
	if err := c.finish(); err != nil {
		return c.rows, fmt.Errorf("read the day's rows: %w", err)
	}
	return c.rows, nil
}

func literal(t time.Time) string { return "'" + t.Format(time.RFC3339Nano) + "'::timestamptz" }
