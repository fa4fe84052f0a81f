package parsers

import (
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

func TestIsPlain(t *testing.T) {
	for _, tt := range []struct {
		in    string
		plain bool
	}{
		{"", true},
		{"short", true},
		{"a longer line of plain ASCII text", true},
		{"a longer line of plain ASCII text, longer than 32 bytes", true},
		{"café in a longer line", false},
		{"nul \x00 in a longer line", false},
		{"01234567\x00", false},
		{"0123456\x80", false},
		{"0123456789abcdef0123456789abcdef\x00", false},
		{"0123456789abcdef0123456789abcde\xff", false},
		{"\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x01", true},
	} {
		if got := isPlain([]byte(tt.in)); got != tt.plain {
			t.Errorf("isPlain(%q) = %v; want %v", tt.in, got, tt.plain)
		}
	}
}

func FuzzIsPlain(f *testing.F) {
	f.Add([]byte("a\\b\x00c\xff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		want := true
		for _, c := range b {
			if c == 0 || c >= 0x80 {
				want = false
			}
		}
		if got := isPlain(b); got != want {
			t.Fatalf("isPlain(%q) = %v; want %v", b, got, want)
		}
	})
}
