package ingest_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ispacct/ispacct/schema/pgtest"
)

// TestBlankLinesSkipped: an empty line, or one of blanks only, is neither
// a row nor a reject (an editor's last newline, a log concatenated by
// hand), but it is a line read.
func TestBlankLinesSkipped(t *testing.T) {
	db := pgtest.New(t)
	path := filepath.Join(t.TempDir(), "access.log")
	text := append(squidLines(0, 1), "\n \t\n\r\n"...)
	text = append(text, squidLines(1, 2)...)
	if err := os.WriteFile(path, text, 0o644); err != nil {
		t.Fatal(err)
	}
	res := run(t, db, path)
	if res.Lines != 6 || res.Rows != 3 || res.Rejects != 0 || res.Blank != 3 || len(res.Held) != 0 {
		t.Fatalf("%+v", res)
	}
}
