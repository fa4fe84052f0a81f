package ingest_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"

	"github.com/ispacct/ispacct/jobs/ingest"
	"github.com/ispacct/ispacct/schema/pgtest"
)

// seqLog writes Squid lines whose size field is a unique sequence number,
// so the test can tell a lost line from a doubled one.
type seqLog struct{ next int }

func (s *seqLog) lines(n int) string {
	var b bytes.Buffer
	for i := 0; i < n; i++ {
		s.next++
		fmt.Fprintf(&b, "%d.%03d 1 10.4.24.77 TCP_MISS/200 %d GET http://x.example/%d - HIER_NONE/- -\n",
			1795215541+s.next/1000, s.next%1000, s.next, s.next)
	}
	return b.String()
}

// checkExactlyOnce: the sizes loaded are exactly 1..n, each once.
func checkExactlyOnce(t *testing.T, db *pgtest.DB, n int) {
	t.Helper()
	var rows, distinct, lo, hi int64
	err := db.Pool.QueryRow(context.Background(),
		`SELECT count(*), count(DISTINCT size), coalesce(min(size), 0), coalesce(max(size), 0) FROM proxy`).Scan(&rows, &distinct, &lo, &hi)
	if err != nil {
		t.Fatal(err)
	}
	if rows != int64(n) || distinct != int64(n) || (n > 0 && (lo != 1 || hi != int64(n))) {
		t.Fatalf("loaded %d rows, %d distinct, sizes %d..%d; want each of 1..%d exactly once", rows, distinct, lo, hi, n)
	}
}

func ingestGlob(t *testing.T, db *pgtest.DB, glob string) *ingest.Result {
	t.Helper()
	files, err := ingest.Expand([]string{glob})
	if err != nil {
		t.Fatal(err)
	}
	return run(t, db, files...)
}

// rotate does what logrotate does with "rotate 5, compress, delaycompress":
// shift the .N.gz files up, compress .1 to .2.gz, rename the live file to
// .1 and start a new, empty live file.
func rotate(t *testing.T, live string) {
	t.Helper()
	for n := 4; n >= 2; n-- {
		if _, err := os.Stat(fmt.Sprintf("%s.%d.gz", live, n)); err == nil {
			os.Rename(fmt.Sprintf("%s.%d.gz", live, n), fmt.Sprintf("%s.%d.gz", live, n+1))
		}
	}
	if _, err := os.Stat(live + ".1"); err == nil {
		gzipFile(t, live+".1", live+".2.gz")
	}
	if err := os.Rename(live, live+".1"); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(live, nil, 0o644)
}

// TestRotationCycles walks a source through three logrotate cycles
// (rename, delaycompress, compress), with the server still writing to the
// renamed file for a while after each rotation, ingesting between every
// step: every line is loaded exactly once.
func TestRotationCycles(t *testing.T) {
	db := pgtest.New(t)
	dir := t.TempDir()
	live := filepath.Join(dir, "access.log")
	var s seqLog
	appendFile(t, live, s.lines(50))
	ingestGlob(t, db, live+"*")
	for cycle := 0; cycle < 3; cycle++ {
		appendFile(t, live, s.lines(30)) // not yet read when rotation comes
		rotate(t, live)
		ingestGlob(t, db, live+"*")          // the new live file is empty: skipped
		appendFile(t, live+".1", s.lines(5)) // the server writes to the old file until it reopens
		appendFile(t, live, s.lines(40))
		ingestGlob(t, db, live+"*")
		appendFile(t, live, s.lines(10))
		next := s.lines(1)
		appendFile(t, live, next[:37]) // half a line at the end: it waits
		ingestGlob(t, db, live+"*")
		checkExactlyOnce(t, db, s.next-1)
		appendFile(t, live, next[37:])
		ingestGlob(t, db, live+"*")
		checkExactlyOnce(t, db, s.next)
	}
	files, _ := ingest.Expand([]string{live + "*"})
	if len(files) != 4 { // .3.gz .2.gz .1 live
		t.Fatalf("files %v", files)
	}
	if res := ingestGlob(t, db, live+"*"); res.Rows != 0 || res.Unchanged != 4 {
		t.Fatalf("a last run over the rotated set loaded again: %+v", res)
	}
	checkExactlyOnce(t, db, s.next)
}

// TestRotationCopytruncate: logrotate's copytruncate copies the live file
// to .1 (compressed at once) and truncates the live file, which starts
// over with new lines: a new file, read from the start, and the copy is
// read on from where the live file was left.
func TestRotationCopytruncate(t *testing.T) {
	db := pgtest.New(t)
	dir := t.TempDir()
	live := filepath.Join(dir, "access.log")
	var s seqLog
	appendFile(t, live, s.lines(20))
	ingestGlob(t, db, live+"*")
	for cycle := 0; cycle < 3; cycle++ {
		appendFile(t, live, s.lines(15))
		for n := 3; n >= 1; n-- {
			if _, err := os.Stat(fmt.Sprintf("%s.%d.gz", live, n)); err == nil {
				os.Rename(fmt.Sprintf("%s.%d.gz", live, n), fmt.Sprintf("%s.%d.gz", live, n+1))
			}
		}
		data, _ := os.ReadFile(live)
		os.WriteFile(live+".1", data, 0o644)
		gzipFile(t, live+".1", live+".1.gz")
		os.Truncate(live, 0)
		appendFile(t, live, s.lines(25))
		ingestGlob(t, db, live+"*")
		checkExactlyOnce(t, db, s.next)
	}
}

// TestCompressionByContent: gzip, zstd, bzip2 and xz files are read by
// their content, whatever their names say.
func TestCompressionByContent(t *testing.T) {
	db := pgtest.New(t)
	dir := t.TempDir()
	var s seqLog
	write := func(name string, enc func([]byte) []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, enc([]byte(s.lines(100))), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	files := []string{
		write("a.log.1", func(b []byte) []byte { // gzip under a plain name
			var buf bytes.Buffer
			zw := gzip.NewWriter(&buf)
			zw.Write(b)
			zw.Close()
			return buf.Bytes()
		}),
		write("b.log.zst", func(b []byte) []byte {
			enc, _ := zstd.NewWriter(nil)
			return enc.EncodeAll(b, nil)
		}),
		write("c.log.xz", func(b []byte) []byte {
			var buf bytes.Buffer
			xw, _ := xz.NewWriter(&buf)
			xw.Write(b)
			xw.Close()
			return buf.Bytes()
		}),
		write("d.log.bz2", func(b []byte) []byte {
			cmd := exec.Command("bzip2", "-c")
			cmd.Stdin = bytes.NewReader(b)
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("bzip2 (Debian's bzip2 package): %v", err)
			}
			return out
		}),
		write("e.log.gz", func(b []byte) []byte { return b }), // plain under a .gz name
	}
	res := run(t, db, files...)
	if res.Files != 5 || len(res.FileErrors) != 0 {
		t.Fatalf("result %+v", res)
	}
	checkExactlyOnce(t, db, s.next)
}

// TestGarbageInTheMiddle: garbage lines in a plain file are rejects with
// their line numbers; a gzip file corrupted in the middle loads its good
// part and is reported with the offset where reading stopped.
func TestGarbageInTheMiddle(t *testing.T) {
	db := pgtest.New(t)
	dir := t.TempDir()
	var s seqLog
	plain := filepath.Join(dir, "plain.log")
	appendFile(t, plain, s.lines(10)+"\x00\x01\x02 binary junk \xff\xfe\n"+string(bytes.Repeat([]byte{0xAB}, 300))+"\n"+s.lines(10))
	res := run(t, db, plain)
	if res.Rows != 20 || res.Rejects != 2 {
		t.Fatalf("plain file with garbage: %+v", res)
	}
	var lines []int64
	rows, _ := db.Pool.Query(context.Background(), `SELECT line FROM rejects ORDER BY line`)
	for rows.Next() {
		var l int64
		rows.Scan(&l)
		lines = append(lines, l)
	}
	if fmt.Sprint(lines) != "[11 12]" {
		t.Fatalf("reject lines %v, want [11 12]", lines)
	}

	// A gzip stream with its middle overwritten.
	good := s.lines(5000)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(good))
	zw.Close()
	b := buf.Bytes()
	for i := len(b) / 2; i < len(b)/2+64; i++ {
		b[i] ^= 0xFF
	}
	gz := filepath.Join(dir, "corrupt.log.gz")
	os.WriteFile(gz, b, 0o644)
	res = run(t, db, gz)
	if len(res.FileErrors) != 1 || res.FileErrors[0].Path != gz {
		t.Fatalf("corrupt gzip not reported: %+v", res)
	}
	if res.Rows == 0 || res.Rows >= 5000 || res.FileErrors[0].Offset == 0 {
		t.Fatalf("the good part before the damage was not loaded: %+v", res)
	}
	t.Logf("corrupt gzip: %d rows loaded, stopped at offset %d: %s", res.Rows, res.FileErrors[0].Offset, res.FileErrors[0].Err)
}
