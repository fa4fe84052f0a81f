package archive

import (
	"bytes"
	"context"
	"encoding/hex"
	"testing"

	"github.com/ispacct/ispacct/schema/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// TestAppendFieldIsCOPY: for every ASCII byte and a few UTF-8 ones, the Go
// writer (ispacct parse) escapes a field exactly as PostgreSQL's COPY
// text format with DELIMITER '|' does for the archive.
func TestAppendFieldIsCOPY(t *testing.T) {
	db := pgtest.New(t)
	var field []byte
	for c := 1; c < 128; c++ {
		field = append(field, 'a', byte(c))
	}
	field = append(field, "üß€|\\"...)
	// COPY (query) takes no parameters: the text goes in as hex, never raw.
	sql := "COPY (SELECT convert_from(decode('" + hex.EncodeToString(field) + "', 'hex'), 'UTF8')) TO STDOUT (FORMAT text, DELIMITER '|', NULL '')"
	var fromDB bytes.Buffer
	conn, err := db.Pool.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Conn().PgConn().CopyTo(context.Background(), &fromDB, sql); err != nil {
		t.Fatal(err)
	}
	want := bytes.TrimSuffix(fromDB.Bytes(), []byte("\n"))
	if got := appendField(nil, field); !bytes.Equal(got, want) {
		t.Fatalf("appendField differs from COPY:\n go %q\n db %q", got, want)
	}
}
