package web

import (
	"testing"
	"time"
)

func TestFormat(t *testing.T) {
	counts := []struct {
		n    int64
		want string
	}{{0, "0"}, {999, "999"}, {1000, "1,000"}, {1234567, "1,234,567"}, {-1234, "-1,234"}}
	for _, tt := range counts {
		if got := count(tt.n); got != tt.want {
			t.Errorf("count(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
	mbs := []struct {
		n    int64
		want string
	}{{0, "0.00"}, {1 << 20, "1.00"}, {5120 + 2048, "0.01"}, {1<<30 + 1<<19, "1,024.50"}, {1<<20 - 1, "1.00"}}
	for _, tt := range mbs {
		if got := mb(tt.n); got != tt.want {
			t.Errorf("mb(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
	shows := []struct {
		raw   string
		max   int
		whole int64
		want  string
	}{
		{"GET / 200", 100, 9, "GET / 200"},
		{"a\x00b\xffc\td", 100, 7, `a\x00b\xffc\x09d`},
		{"äöü", 2, 6, "äö … (6 bytes)"},
		{"abc", 100, 5000, "abc … (5,000 bytes)"},
	}
	for _, tt := range shows {
		if got := shown([]byte(tt.raw), tt.max, tt.whole); got != tt.want {
			t.Errorf("shown(%q) = %q, want %q", tt.raw, got, tt.want)
		}
	}
}

// TestLimiter: five failures stop an address, twenty all addresses; the
// window lets them in again.
func TestLimiter(t *testing.T) {
	l := newLimiter()
	now := mustTime("2026-11-22T10:00:00Z")
	for i := range 5 {
		if ok, _ := l.allow("10.0.1.2", now); !ok {
			t.Fatalf("attempt %d refused", i)
		}
		l.failed("10.0.1.2", now)
	}
	if ok, wait := l.allow("10.0.1.2", now); ok || wait != l.window {
		t.Fatalf("sixth attempt: %v %v", ok, wait)
	}
	for i := range 15 {
		addr := "10.0.1." + string(rune('a'+i))
		if ok, _ := l.allow(addr, now); !ok {
			t.Fatalf("address %d refused", i)
		}
		l.failed(addr, now)
	}
	if ok, _ := l.allow("10.0.1.99", now); ok {
		t.Fatal("twenty failures overall must stop a new address too")
	}
	if ok, _ := l.allow("10.0.1.99", now.Add(l.window+1)); !ok {
		t.Fatal("after the window a new attempt is allowed")
	}
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}
