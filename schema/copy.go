package schema

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// CopyBuffer encodes rows in PostgreSQL's binary COPY format straight into
// one byte slice: no per-row interface values, no per-field allocations.
// Text fields must already be valid UTF-8 without NUL (the parsers' rule).
type CopyBuffer struct {
	buf []byte
}

var copyHeader = []byte("PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00")

// pgEpoch is 2000-01-01 00:00:00 UTC in Unix microseconds.
const pgEpoch = 946684800 * 1_000_000

// Reset empties the buffer and writes the COPY header.
func (c *CopyBuffer) Reset() {
	c.buf = append(c.buf[:0], copyHeader...)
}

// Row starts a row of n fields.
func (c *CopyBuffer) Row(n int) {
	if len(c.buf) == 0 {
		c.Reset()
	}
	c.buf = binary.BigEndian.AppendUint16(c.buf, uint16(n))
}

// Grow makes room for n more bytes: a buffer filled to a known size is
// then not copied again and again as it grows (by a quarter at a time
// once large).
func (c *CopyBuffer) Grow(n int) { c.buf = slices.Grow(c.buf, n) }

// Len is the encoded size so far.
func (c *CopyBuffer) Len() int { return len(c.buf) }

func (c *CopyBuffer) field(n int) {
	c.buf = binary.BigEndian.AppendUint32(c.buf, uint32(n))
}

// Null writes SQL NULL.
func (c *CopyBuffer) Null() { c.buf = binary.BigEndian.AppendUint32(c.buf, math.MaxUint32) }

// Text writes a text value.
func (c *CopyBuffer) Text(b []byte) {
	c.field(len(b))
	c.buf = append(c.buf, b...)
}

// String writes a text value.
func (c *CopyBuffer) String(s string) {
	c.field(len(s))
	c.buf = append(c.buf, s...)
}

// TextOrNull writes NULL for an empty value.
func (c *CopyBuffer) TextOrNull(b []byte) {
	if len(b) == 0 {
		c.Null()
		return
	}
	c.Text(b)
}

// Int64 writes a bigint.
func (c *CopyBuffer) Int64(v int64) {
	c.field(8)
	c.buf = binary.BigEndian.AppendUint64(c.buf, uint64(v))
}

// Int32 writes an integer.
func (c *CopyBuffer) Int32(v int32) {
	c.field(4)
	c.buf = binary.BigEndian.AppendUint32(c.buf, uint32(v))
}

// Int16 writes a smallint.
func (c *CopyBuffer) Int16(v int16) {
	c.field(2)
	c.buf = binary.BigEndian.AppendUint16(c.buf, uint16(v))
}

// Float32 writes a real.
func (c *CopyBuffer) Float32(v float32) {
	c.field(4)
	c.buf = binary.BigEndian.AppendUint32(c.buf, math.Float32bits(v))
}

// Timestamptz writes a timestamptz (microsecond precision).
func (c *CopyBuffer) Timestamptz(t time.Time) {
	c.field(8)
	c.buf = binary.BigEndian.AppendUint64(c.buf, uint64(t.UnixMicro()-pgEpoch))
}

// Inet writes a host address as inet, or NULL for the zero Addr.
func (c *CopyBuffer) Inet(a netip.Addr) {
	switch {
	case a.Is4():
		b := a.As4()
		c.field(8)
		c.buf = append(c.buf, 2, 32, 0, 4) // PGSQL_AF_INET, bits, is_cidr, length
		c.buf = append(c.buf, b[:]...)
	case a.Is6():
		b := a.As16()
		c.field(20)
		c.buf = append(c.buf, 3, 128, 0, 16) // PGSQL_AF_INET6
		c.buf = append(c.buf, b[:]...)
	default:
		c.Null()
	}
}

// Finish appends the COPY trailer and returns the encoded data. The buffer
// must be Reset before it is used again.
func (c *CopyBuffer) Finish() []byte {
	if len(c.buf) == 0 {
		c.Reset()
	}
	c.buf = binary.BigEndian.AppendUint16(c.buf, math.MaxUint16)
	return c.buf
}

// CopyFrom loads data encoded by a CopyBuffer into table's columns over
// conn, typically inside a transaction. table and cols are names from the
// code, never from log content.
func CopyFrom(ctx context.Context, conn *pgconn.PgConn, table string, cols []string, data []byte) (int64, error) {
	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = pgx.Identifier{c}.Sanitize()
	}
	sql := fmt.Sprintf("COPY %s (%s) FROM STDIN (FORMAT binary)", pgx.Identifier{table}.Sanitize(), strings.Join(quoted, ", "))
	tag, err := conn.CopyFrom(ctx, bytes.NewReader(data), sql)
	if err != nil {
		return 0, fmt.Errorf("copy into %s: %w", table, err)
	}
	return tag.RowsAffected(), nil
}
