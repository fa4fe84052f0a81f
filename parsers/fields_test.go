package parsers

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"
)

func TestParseAddr(t *testing.T) {
	for in, want := range map[string]string{
		"10.4.24.77":       "10.4.24.77",
		"0.0.0.0":          "0.0.0.0",
		"255.255.255.255":  "255.255.255.255",
		"1.2.3.4":          "1.2.3.4",
		"::ffff:10.0.2.16": "10.0.2.16",
		"2001:db8::42":     "2001:db8::42",
		"::1":              "::1",
		"00::0":            "::",
		"0::1":             "::1",
		"700::":            "700::",
		"10.0.0.256":       "",
		"10.0.0.01":        "",
		"010.0.0.1":        "",
		"10.0.0":           "",
		"10.0.0.1.":        "",
		"10.0.0.1.5":       "",
		"10..0.1":          "",
		"1234.0.0.1":       "",
		"10.0.0.1 ":        "",
		"fe80::1%eth0":     "",
		"host.example":     "",
		"":                 "",
		"-":                "",
		".1.2.3":           "",
	} {
		a, ok := parseAddr([]byte(in))
		got := ""
		if ok {
			got = a.String()
		}
		if got != want {
			t.Errorf("parseAddr(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestParseAddrDotted compares parseAddr with netip on many strings made
// of digits and dots, which random fuzzing seldom writes: octets of every
// length, leading zeros, values over 255, missing and extra parts.
func TestParseAddrDotted(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const alphabet = "0123456789.0125."
	for range 200_000 {
		b := make([]byte, 1+rng.IntN(17))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		if rng.IntN(4) == 0 { // a dotted quad, perhaps with something after it
			b = fmt.Appendf(b[:0], "%d.%d.%d.%d", rng.IntN(300), rng.IntN(300), rng.IntN(300), rng.IntN(1100))
			b = append(b, []byte(alphabet)[:rng.IntN(3)]...)
		}
		a, ok := parseAddr(b)
		want, err := netip.ParseAddr(string(b))
		if ok != (err == nil) || ok && a != want {
			t.Fatalf("parseAddr(%q) = %v, %v; netip: %v, %v", b, a, ok, want, err)
		}
		// A dotted quad is read by the quick path, not by netip.
		if a, n := ipv4Prefix(b); err == nil && (n != len(b) || a != want) {
			t.Fatalf("ipv4Prefix(%q) = %v, %d; want %v, %d", b, a, n, want, len(b))
		}
		// addrField reads the same address from a line.
		line := append(append([]byte(nil), b...), " rest"...)
		a, _, rest, ok := addrField(line)
		if ok != (err == nil) || ok && (a != want || string(rest) != " rest") {
			t.Fatalf("addrField(%q) = %v, %q, %v; netip: %v, %v", line, a, rest, ok, want, err)
		}
	}
}

func FuzzParseAddr(f *testing.F) {
	for _, s := range []string{"10.4.24.77", "::ffff:1.2.3.4", "01.2.3.4", "1.2.3.4.5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, ok := parseAddr([]byte(s))
		want, err := netip.ParseAddr(s)
		if err != nil || want.Zone() != "" {
			if ok {
				t.Fatalf("parseAddr(%q) = %v, netip rejects it", s, a)
			}
			return
		}
		if !ok || a != want.Unmap() {
			t.Fatalf("parseAddr(%q) = %v, %v; want %v", s, a, ok, want.Unmap())
		}
	})
}

func TestIndexSep(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want int
	}{
		{"", 0},
		{"abc", 3},
		{" abc", 0},
		{"abc def", 3},
		{"abc\tdef", 3},
		{"01234567 9", 8},
		{"0123456\t", 7},
		{"\x80\x00\xff\xfe\x01\x02\x03\x04 ", 8},
		{"http://example.com/a/rather/long/path?with=query", 48},
		{"http://example.com/a/rather/long/path?with=query tail", 48},
		{"http://example.com/a/rather/long/path?with\tquery tail", 42},
	} {
		if got := indexSep([]byte(tt.in)); got != tt.want {
			t.Errorf("indexSep(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

// FuzzIndexSep checks the word-at-a-time searches against a byte loop.
func FuzzIndexSep(f *testing.F) {
	f.Add([]byte("0123456789abcdef0123456789abcdef0123 x\ty"))
	f.Add([]byte(" \t HIER_DIRECT/93.184.216.75 text/html"))
	f.Fuzz(func(t *testing.T, b []byte) {
		want := len(b)
		for i, c := range b {
			if c == ' ' || c == '\t' {
				want = i
				break
			}
		}
		if got := indexSep(b); got != want {
			t.Fatalf("indexSep(%q) = %d, want %d", b, got, want)
		}
		// nextField: separators skipped, then the same search.
		t0 := bytes.TrimLeft(b, " \t")
		end := bytes.IndexAny(t0, " \t")
		if end < 0 {
			end = len(t0)
		}
		if f, rest := nextField(b); string(f) != string(t0[:end]) || string(rest) != string(t0[end:]) {
			t.Fatalf("nextField(%q) = %q, %q; want %q, %q", b, f, rest, t0[:end], t0[end:])
		}
		if len(b) >= 32 {
			if got := sepIndex32((*[32]byte)(b)); got != min(want, 32) {
				t.Fatalf("sepIndex32(%q) = %d, want %d", b[:32], got, min(want, 32))
			}
		}
	})
}

// FuzzLastSpace checks the word-at-a-time search against bytes.LastIndexByte.
func FuzzLastSpace(f *testing.F) {
	f.Add([]byte(`"GET http://example.com/a/b HTTP/1.1" 200 5120 TCP_MISS:HIER_DIRECT`))
	f.Add([]byte("\x00 \x01!\xa0 \x7f"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := lastSpace(b), bytes.LastIndexByte(b, ' '); got != want {
			t.Fatalf("lastSpace(%q) = %d, want %d", b, got, want)
		}
	})
}

func TestCutMimeHeaders(t *testing.T) {
	for in, want := range map[string]string{
		`a TCP_MISS:HIER_DIRECT [Host: h\r\n] [HTTP/1.1 200 OK\r\n]`: `a TCP_MISS:HIER_DIRECT`,
		`a - HIER_NONE/- - [] []`:                                    `a - HIER_NONE/- -`,
		`a [x] [y] [z]`:                                              `a [x]`,
		`a [x %5d] [y]`:                                              `a`,
		`a [x] y [z]`:                                                `a [x] y [z]`,
		`a x] [z]`:                                                   `a x] [z]`,
		`[x] [y]`:                                                    `[x] [y]`,
		`a b`:                                                        `a b`,
		`]`:                                                          `]`,
	} {
		if got := string(cutMimeHeaders([]byte(in))); got != want {
			t.Errorf("cutMimeHeaders(%q) = %q, want %q", in, got, want)
		}
	}
}
