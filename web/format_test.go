package web

import (
	"sync"
	"sync/atomic"
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
// window lets them in again. An allowed attempt counts until it succeeds.
func TestLimiter(t *testing.T) {
	l := newLimiter()
	now := mustTime("2026-11-22T10:00:00Z")
	for i := range 5 {
		if ok, _ := l.allow("10.0.1.2", now); !ok {
			t.Fatalf("attempt %d refused", i)
		}
	}
	if ok, wait := l.allow("10.0.1.2", now); ok || wait != l.window {
		t.Fatalf("sixth attempt: %v %v", ok, wait)
	}
	for i := range 15 {
		addr := "10.0.1." + string(rune('a'+i))
		if ok, _ := l.allow(addr, now); !ok {
			t.Fatalf("address %d refused", i)
		}
	}
	if ok, _ := l.allow("10.0.1.99", now); ok {
		t.Fatal("twenty failures overall must stop a new address too")
	}
	if ok, _ := l.allow("10.0.1.99", now.Add(l.window+1)); !ok {
		t.Fatal("after the window a new attempt is allowed")
	}
}

// TestLimiterSideBySide: attempts sent at once are counted as they are
// let in, not after their passwords are checked; a success and a server
// error take their attempt back.
func TestLimiterSideBySide(t *testing.T) {
	l := newLimiter()
	now := mustTime("2026-11-22T10:00:00Z")
	var wg sync.WaitGroup
	var allowed atomic.Int32
	for range 60 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if ok, _ := l.allow("10.0.1.2", now); ok {
				allowed.Add(1)
			}
		}()
	}
	wg.Wait()
	if n := allowed.Load(); n != 5 {
		t.Fatalf("60 attempts at once from one address: %d let in, want 5", n)
	}
	l.succeeded("10.0.1.2", now)
	l.allow("10.0.1.3", now)
	l.release("10.0.1.3", now)
	if len(l.byAddr) != 0 || len(l.all) != 4 {
		t.Fatalf("after a success and a server error: %v, %d overall; want none and 4", l.byAddr, len(l.all))
	}
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestSafeNext: after login only a path of this site is followed;
// anything a browser could read as another host goes to "/".
func TestSafeNext(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"/", "/"},
		{"/traffic?from=2026-11-01&to=2026-11-30", "/traffic?from=2026-11-01&to=2026-11-30"},
		{"/archives#latest", "/archives#latest"},
		{"", "/"},
		{"traffic", "/"},
		{"//evil.example/", "/"},
		{"/\\evil.example", "/"},
		{"/\t/evil.example", "/"},
		{"/\n/evil.example", "/"},
		{"/\r/evil.example", "/"},
		{"/\x7f/evil.example", "/"},
		{"/%09/evil.example", "/%09/evil.example"}, // stays a path of ours: %09 is not decoded into a redirect
		{"https://evil.example/", "/"},
		{"/x:y", "/x:y"},
	} {
		if got := safeNext(tt.in); got != tt.want {
			t.Errorf("safeNext(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
