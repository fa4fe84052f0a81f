package parsers

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"os"
	"testing"
	"unicode/utf8"
)

var update = flag.Bool("update", false, "rewrite golden files in fixtures/")

// golden compares got with the golden file at path, or rewrites it with -update.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (go test ./parsers -update rewrites it)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// eachLine calls fn with every complete line of the file at path.
func eachLine(tb testing.TB, path string, fn func(n int64, line []byte)) {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	lr := NewLineReader(f, 0, 0)
	for {
		line, err := lr.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			tb.Fatal(err)
		}
		fn(lr.Line(), line)
	}
}

// seedLines adds every line of the files as a fuzz seed.
func seedLines(f *testing.F, paths ...string) {
	for _, p := range paths {
		eachLine(f, p, func(_ int64, line []byte) { f.Add(bytes.Clone(line)) })
	}
}

// checkText fails unless every field satisfies the text rule.
func checkText(t *testing.T, fields ...[]byte) {
	t.Helper()
	for _, b := range fields {
		if !utf8.Valid(b) || bytes.IndexByte(b, 0) >= 0 {
			t.Fatalf("field %q not valid text", b)
		}
	}
}
