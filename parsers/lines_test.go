package parsers

import (
	"errors"
	"io"
	"strings"
	"testing"
)

func TestLineReader(t *testing.T) {
	lr := NewLineReader(strings.NewReader("one\ntwo\r\n\nthree"), 0, 0)
	var got []string
	for {
		b, err := lr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(b))
	}
	if strings.Join(got, ",") != "one,two," {
		t.Fatalf("lines = %q", got)
	}
	if lr.Line() != 3 || lr.Offset() != 10 || lr.Pending() != 5 {
		t.Fatalf("line %d offset %d pending %d, want 3 10 5", lr.Line(), lr.Offset(), lr.Pending())
	}
}

func TestLineReaderResume(t *testing.T) {
	lr := NewLineReader(strings.NewReader("c\n"), 100, 7)
	if b, err := lr.Next(); err != nil || string(b) != "c" {
		t.Fatalf("Next = %q, %v", b, err)
	}
	if lr.Line() != 8 || lr.Offset() != 102 {
		t.Fatalf("line %d offset %d, want 8 102", lr.Line(), lr.Offset())
	}
}

func TestLineReaderLongLine(t *testing.T) {
	long := strings.Repeat("x", MaxLineLength+10)
	lr := NewLineReader(strings.NewReader("a\n"+long+"\nb\n"), 0, 0)
	lr.Next()
	b, err := lr.Next()
	if !errors.Is(err, ErrLineTooLong) || len(b) != MaxLineLength {
		t.Fatalf("long line: len %d err %v", len(b), err)
	}
	b, err = lr.Next()
	if err != nil || string(b) != "b" || lr.Line() != 3 {
		t.Fatalf("after long line: %q %v line %d", b, err, lr.Line())
	}
	if lr.Offset() != int64(2+len(long)+1+2) {
		t.Fatalf("offset %d", lr.Offset())
	}
	// A line of exactly MaxLineLength bytes is whole.
	exact := strings.Repeat("y", MaxLineLength)
	lr = NewLineReader(strings.NewReader(exact+"\n"), 0, 0)
	if b, err := lr.Next(); err != nil || len(b) != MaxLineLength {
		t.Fatalf("exact line: len %d err %v", len(b), err)
	}
}

func TestLineReaderFinal(t *testing.T) {
	lr := NewLineReader(strings.NewReader("a\nlast"), 0, 0)
	lr.Final = true
	lr.Next()
	b, err := lr.Next()
	if err != nil || string(b) != "last" || lr.Offset() != 6 || lr.Line() != 2 {
		t.Fatalf("final line %q %v offset %d line %d", b, err, lr.Offset(), lr.Line())
	}
	if _, err := lr.Next(); !errors.Is(err, io.EOF) {
		t.Fatalf("after final line: %v", err)
	}
}
