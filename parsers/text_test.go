package parsers

import (
	"bytes"
	"testing"
	"unicode/utf8"
)

func TestAppendText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"café", "café"},
		{"caf\xe9", "caf%E9"},
		{"a\x00b", "a%00b"},
		{"\xff\xfe", "%FF%FE"},
		{"x\xe2\x82", "x%E2%82"}, // truncated 3-byte sequence
		{"€|\\", "€|\\"},
	}
	for _, tt := range tests {
		if got := string(AppendText(nil, []byte(tt.in))); got != tt.want {
			t.Errorf("AppendText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzAppendText(f *testing.F) {
	f.Add([]byte("caf\xe9\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		out := AppendText(nil, b)
		if !utf8.Valid(out) {
			t.Fatalf("invalid UTF-8 out of %q: %q", b, out)
		}
		for _, c := range out {
			if c == 0 {
				t.Fatalf("NUL out of %q", b)
			}
		}
		if !needsRepair(b) && string(out) != string(b) {
			t.Fatalf("valid text changed: %q -> %q", b, out)
		}
	})
}

func TestScanLine(t *testing.T) {
	for _, tt := range []struct {
		in            string
		plain, bslash bool
	}{
		{"", true, false},
		{"short", true, false},
		{"a longer line of plain ASCII text", true, false},
		{"a longer line with a \\ backslash", true, true},
		{"\\", true, true},
		{"0123456\\", true, true},
		{"01234567\\", true, true},
		{"café in a longer line", false, false},
		{"nul \x00 in a longer line", false, false},
		{"01234567\x00", false, false},
		{"0123456\x80", false, false},
		{"\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x01", true, false},
	} {
		plain, bs := scanLine([]byte(tt.in))
		if plain != tt.plain || bs != tt.bslash {
			t.Errorf("scanLine(%q) = %v, %v; want %v, %v", tt.in, plain, bs, tt.plain, tt.bslash)
		}
	}
}

func FuzzScanLine(f *testing.F) {
	f.Add([]byte("a\\b\x00c\xff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		plain, bs := scanLine(b)
		wantPlain := true
		for _, c := range b {
			if c == 0 || c >= 0x80 {
				wantPlain = false
			}
		}
		if plain != wantPlain || bs != bytes.Contains(b, []byte{'\\'}) {
			t.Fatalf("scanLine(%q) = %v, %v", b, plain, bs)
		}
	})
}
