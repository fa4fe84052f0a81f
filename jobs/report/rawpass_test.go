package report

import (
	"testing"

	"github.com/jackc/pgx/v5/pgtype"
)

// FuzzDecodeField: whatever bytes the server were to send for a column,
// decoding gives a field or an error, never a panic, and text is copied
// whole.
func FuzzDecodeField(f *testing.F) {
	f.Add(uint8(0), []byte("\x02\x20\x00\x04\x0a\x00\x00\x01"))
	f.Add(uint8(3), []byte("\x00\x00\x00\x00\x00\x00\x00\x01"))
	f.Add(uint8(1), []byte("text"))
	oids := []uint32{pgtype.InetOID, pgtype.TextOID, pgtype.VarcharOID, pgtype.TimestamptzOID, pgtype.Int8OID, pgtype.Int4OID, pgtype.BoolOID}
	f.Fuzz(func(t *testing.T, which uint8, v []byte) {
		oid := oids[int(which)%len(oids)]
		var arena []byte
		fd, err := decodeField(oid, v, &arena)
		if err == nil && (oid == pgtype.TextOID || oid == pgtype.VarcharOID) && string(fd.B) != string(v) {
			t.Fatalf("text %q decoded as %q", v, fd.B)
		}
	})
}
