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
