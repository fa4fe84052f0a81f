package parsers

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"testing"
	"time"
	"unicode/utf8"
)

func TestSquidParse(t *testing.T) {
	tests := []struct {
		name, line string
		want       string // dumpProxy output, or "reject: reason"
	}{
		{"plain",
			"1795215541.000    120 10.4.24.77 TCP_MISS/200 5120 GET http://example.com/ - HIER_DIRECT/93.184.216.34 text/html",
			"2026-11-20T22:59:01Z|120|10.4.24.77|TCP_MISS/200|5120|GET|http://example.com/||HIER_DIRECT/93.184.216.34|text/html"},
		{"connect",
			"1795215601.250 230 10.4.24.80 TCP_TUNNEL/200 48213 CONNECT www.bank.example:443 - HIER_DIRECT/198.51.100.7 -",
			"2026-11-20T23:00:01.25Z|230|10.4.24.80|TCP_TUNNEL/200|48213|CONNECT|www.bank.example:443||HIER_DIRECT/198.51.100.7|"},
		{"user and mime with space",
			"1795215601.000 1 10.0.2.16 TCP_MISS/304 312 GET http://n.example/a|b\\c anna HIER_NONE/- text/html; charset=utf-8",
			"2026-11-20T23:00:01Z|1|10.0.2.16|TCP_MISS/304|312|GET|http://n.example/a|b\\c|anna|HIER_NONE/-|text/html; charset=utf-8"},
		{"ipv6 and mapped", "1795215601.000 1 ::ffff:10.0.2.16 NONE_NONE/000 0 NONE error:invalid-request - HIER_NONE/- -",
			"2026-11-20T23:00:01Z|1|10.0.2.16|NONE_NONE/000|0|NONE|error:invalid-request||HIER_NONE/-|"},
		{"invalid utf8 and nul", "1795215601.000 1 10.0.0.1 TCP_MISS/200 1 GET http://x/\xe9\x00 - HIER_NONE/- -",
			"2026-11-20T23:00:01Z|1|10.0.0.1|TCP_MISS/200|1|GET|http://x/%E9%00||HIER_NONE/-|"},
		{"no mime field", "1795215601.000 1 10.0.0.1 TCP_MISS/200 1 GET http://x/ - HIER_NONE/-",
			"2026-11-20T23:00:01Z|1|10.0.0.1|TCP_MISS/200|1|GET|http://x/||HIER_NONE/-|"},
		{"empty", "", "blank"},
		{"blank", "   ", "blank"},
		// Lines Squid 5.7 writes (see fixtures/squid-real).
		{"user with spaces",
			"1796579646.523     50 127.0.0.1 TCP_MISS/200 47764 GET http://127.0.0.1:38080/f47k jan de vries HIER_DIRECT/127.0.0.1 application/octet-stream",
			"2026-12-06T17:54:06.523Z|50|127.0.0.1|TCP_MISS/200|47764|GET|http://127.0.0.1:38080/f47k|jan de vries|HIER_DIRECT/127.0.0.1|application/octet-stream"},
		{"user url-encoded",
			"1796579646.541      4 127.0.0.1 TCP_MISS/200 47764 GET http://o/f j%c3%bcrgen m%c3%bcller HIER_DIRECT/127.0.0.1 text/html; charset=utf-8",
			"2026-12-06T17:54:06.541Z|4|127.0.0.1|TCP_MISS/200|47764|GET|http://o/f|jürgen müller|HIER_DIRECT/127.0.0.1|text/html; charset=utf-8"},
		{"user like a hierarchy",
			"1796579664.277      1 127.0.0.1 TCP_MISS/200 47759 GET http://o/f hier_direct/1.2.3.4 text/html HIER_DIRECT/127.0.0.1 application/octet-stream",
			"2026-12-06T17:54:24.277Z|1|127.0.0.1|TCP_MISS/200|47759|GET|http://o/f|hier_direct/1.2.3.4 text/html|HIER_DIRECT/127.0.0.1|application/octet-stream"},
		{"transaction end before headers, ipv6",
			"1796579664.518      0 ::1 NONE_NONE/000 0 - error:transaction-end-before-headers - HIER_NONE/- -",
			"2026-12-06T17:54:24.518Z|0|::1|NONE_NONE/000|0|-|error:transaction-end-before-headers||HIER_NONE/-|"},
		{"5 GiB",
			"1796579714.352  40921 127.0.0.1 TCP_MISS/200 5368709436 GET http://127.0.0.1:38080/big - HIER_DIRECT/127.0.0.1 application/octet-stream",
			"2026-12-06T17:55:14.352Z|40921|127.0.0.1|TCP_MISS/200|5368709436|GET|http://127.0.0.1:38080/big||HIER_DIRECT/127.0.0.1|application/octet-stream"},
		{"timeout hierarchy after a user with spaces",
			"1796579646.523     50 127.0.0.1 TCP_MISS/200 1 GET http://o/ a b TIMEOUT_CLOSEST_PARENT/10.0.0.1 -",
			"2026-12-06T17:54:06.523Z|50|127.0.0.1|TCP_MISS/200|1|GET|http://o/|a b|TIMEOUT_CLOSEST_PARENT/10.0.0.1|"},
		{"garbage", "hello world", "reject: bad timestamp"},
		{"timestamp without fraction", "1795215601 1 10.0.0.1 TCP_MISS/200 1 GET http://x/ - HIER_NONE/- -", "reject: bad timestamp"},
		{"short", "1795215601.000 1 10.0.0.1 TCP_MISS/200 1 GET http://x/", "reject: missing fields"},
		{"only time", "1795215601.000", "reject: missing fields"},
		{"bad client", "1795215601.000 1 host.example TCP_MISS/200 1 GET http://x/ - HIER_NONE/- -", "reject: bad client address"},
		{"bad octet", "1795215601.000 1 10.0.0.256 TCP_MISS/200 1 GET http://x/ - HIER_NONE/- -", "reject: bad client address"},
		{"bad size", "1795215601.000 1 10.0.0.1 TCP_MISS/200 -1 GET http://x/ - HIER_NONE/- -", "reject: bad size"},
		{"bad elapsed", "1795215601.000 x 10.0.0.1 TCP_MISS/200 1 GET http://x/ - HIER_NONE/- -", "reject: bad elapsed time"},
	}
	var p Squid
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rec Proxy
			got := ""
			if err := p.Parse([]byte(tt.line), &rec); errors.Is(err, ErrBlank) {
				got = "blank"
			} else if err != nil {
				got = "reject: " + Reason(err)
			} else {
				got = dumpProxy(&rec)
			}
			if got != tt.want {
				t.Errorf("Parse(%q)\n got  %s\n want %s", tt.line, got, tt.want)
			}
		})
	}
}

func dumpProxy(r *Proxy) string {
	return fmt.Sprintf("%s|%d|%s|%s|%d|%s|%s|%s|%s|%s", r.Zeit.Format(time.RFC3339Nano), r.ElapsedMS,
		r.Client, r.Status, r.Size, r.Method, r.URL, r.Ident, r.Hierarchy, r.MIME)
}

// TestSquidFixture parses the sample log that make run uses and compares
// every record with the hand-checked golden file.
func TestSquidFixture(t *testing.T) {
	f, err := os.Open("../fixtures/squid/access.log")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out bytes.Buffer
	var p Squid
	var rec Proxy
	lr := NewLineReader(f, 0, 0)
	for {
		line, err := lr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Parse(line, &rec); errors.Is(err, ErrBlank) {
			fmt.Fprintf(&out, "%d: blank\n", lr.Line())
			continue
		} else if err != nil {
			fmt.Fprintf(&out, "%d: reject: %s\n", lr.Line(), Reason(err))
			continue
		}
		fmt.Fprintf(&out, "%d: %s\n", lr.Line(), dumpProxy(&rec))
	}
	golden(t, "../fixtures/squid/access.golden", out.Bytes())
}

func FuzzSquid(f *testing.F) {
	data, err := os.ReadFile("../fixtures/squid/access.log")
	if err != nil {
		f.Fatal(err)
	}
	for _, l := range bytes.Split(data, []byte("\n")) {
		f.Add(l)
	}
	seedLines(f, "../fixtures/squid-real/native.log", "../fixtures/squid-real/native-mime.log")
	f.Add([]byte("1.1 1 ::1 A 1 B C D E F\x00\xff"))
	f.Add([]byte("1.1 1 ::1 A 1 B C a b%c3%bc HIER_NONE/- E F"))
	f.Add([]byte("1795215541.000   !120 10.4.24.77 TCP_MISS/200 1 GET http://a/ - HIER_NONE/- -"))
	f.Fuzz(func(t *testing.T, line []byte) {
		var p Squid
		var rec, rec2 Proxy
		err := p.Parse(line, &rec)
		general := Squid{noQuick: true}
		err2 := general.Parse(line, &rec2)
		if (err == nil) != (err2 == nil) || err != nil && Reason(err) != Reason(err2) {
			t.Fatalf("quick path and general rule disagree: %v / %v", err, err2)
		}
		if err == nil && fmt.Sprint(rec) != fmt.Sprint(rec2) {
			t.Fatalf("quick path and general rule differ:\n%v\n%v", rec, rec2)
		}
		if err != nil {
			if Reason(err) == "" {
				t.Fatal("reject without a reason")
			}
			return
		}
		for _, b := range [][]byte{rec.Status, rec.Method, rec.URL, rec.Ident, rec.Hierarchy, rec.MIME} {
			if !utf8.Valid(b) || bytes.IndexByte(b, 0) >= 0 {
				t.Fatalf("field %q not valid text", b)
			}
		}
		if !rec.Client.IsValid() || rec.Size < 0 || len(rec.Status) == 0 {
			t.Fatalf("accepted incomplete record from %q", line)
		}
	})
}

func BenchmarkSquid(b *testing.B) {
	line := []byte("1795215541.000    120 10.4.24.77 TCP_MISS/200 5120 GET http://example.com/some/path?q=1 - HIER_DIRECT/93.184.216.34 text/html")
	var p Squid
	var rec Proxy
	b.SetBytes(int64(len(line) + 1))
	b.ReportAllocs()
	for b.Loop() {
		if err := p.Parse(line, &rec); err != nil {
			b.Fatal(err)
		}
	}
}

func TestSquidNoAllocs(t *testing.T) {
	line := []byte("1795215541.000    120 10.4.24.77 TCP_MISS/200 5120 GET http://example.com/ - HIER_DIRECT/93.184.216.34 text/html")
	var p Squid
	var rec Proxy
	if n := testing.AllocsPerRun(100, func() { p.Parse(line, &rec) }); n != 0 {
		t.Fatalf("Parse allocates %v times per line", n)
	}
}

func TestParseEpochMillis(t *testing.T) {
	for in, want := range map[string]string{
		"1795215541.123":  "2026-11-20T22:59:01.123Z",
		"1795215541.000":  "2026-11-20T22:59:01Z",
		"0000000000.001":  "1970-01-01T00:00:00.001Z",
		"1795215541.5":    "2026-11-20T22:59:01.5Z",
		"1795215541.1234": "2026-11-20T22:59:01.1234Z",
		"17952155411.123": "2538-11-18T13:50:11.123Z",
		"179521554/.123":  "",
		"1795215541.12:":  "",
		"1795215541:123":  "",
		"1795215541.":     "",
		".123":            "",
		"":                "",
	} {
		got := ""
		if ts, ok := parseEpochMillis([]byte(in)); ok {
			got = ts.Format(time.RFC3339Nano)
		}
		if got != want {
			t.Errorf("parseEpochMillis(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzEpochMillis checks the word-at-a-time quick path against the
// general rule.
func FuzzEpochMillis(f *testing.F) {
	for _, s := range []string{"1795215541.123", "0000000000.001", "9999999999.999", "17952/5541.123", "179521554:.123"} {
		f.Add([]byte(s))
	}
	f.Fuzz(checkEpochQuick)
}

// checkEpochQuick fails when parseEpochMillis and the general rule differ on b.
func checkEpochQuick(t *testing.T, b []byte) {
	t.Helper()
	got, ok := parseEpochMillis(b)
	want, wantOK := parseEpochSlow(b)
	if ok != wantOK || !got.Equal(want) {
		t.Fatalf("parseEpochMillis(%q) = %v, %v; general rule %v, %v", b, got, ok, want, wantOK)
	}
}

// TestEpochMillisEveryByte puts every byte value at every position of a
// Squid time stamp: the quick path must agree with the general rule.
func TestEpochMillisEveryByte(t *testing.T) {
	for i := range 14 {
		for c := range 256 {
			b := []byte("1795215541.123")
			b[i] = byte(c)
			checkEpochQuick(t, b)
		}
	}
}
