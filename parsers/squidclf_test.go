package parsers

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
)

func TestSquidCommonParse(t *testing.T) {
	tests := []struct {
		name     string
		combined bool
		line     string
		want     string // dumpProxy output, or "reject: reason"
	}{
		{"plain", false,
			`10.4.24.77 - - [21/Nov/2026:13:45:12 +0100] "GET http://example.com/ HTTP/1.1" 200 5120 TCP_MISS:HIER_DIRECT`,
			"2026-11-21T12:45:12Z|0|10.4.24.77|TCP_MISS/200|5120|GET|http://example.com/||HIER_DIRECT|"},
		{"connect", false,
			`10.4.24.80 - - [21/Nov/2026:13:46:01 +0100] "CONNECT www.bank.example:443 HTTP/1.1" 200 48213 TCP_TUNNEL:HIER_DIRECT`,
			"2026-11-21T12:46:01Z|0|10.4.24.80|TCP_TUNNEL/200|48213|CONNECT|www.bank.example:443||HIER_DIRECT|"},
		{"denied", false,
			`10.0.2.15 - - [21/Nov/2026:13:46:02 +0100] "GET http://blocked.example/ HTTP/1.1" 403 3912 TCP_DENIED:HIER_NONE`,
			"2026-11-21T12:46:02Z|0|10.0.2.15|TCP_DENIED/403|3912|GET|http://blocked.example/||HIER_NONE|"},
		{"none status zero", false,
			`10.4.24.77 - - [21/Nov/2026:13:47:30 +0100] "NONE error:invalid-request HTTP/0.0" 0 0 NONE_NONE:HIER_NONE`,
			"2026-11-21T12:47:30Z|0|10.4.24.77|NONE_NONE/000|0|NONE|error:invalid-request||HIER_NONE|"},
		{"dash status and size", false,
			`10.0.0.1 - - [21/Nov/2026:13:48:02 +0100] "POST http://api.example/ HTTP/1.0" - - TCP_MISS_ABORTED:HIER_DIRECT`,
			"2026-11-21T12:48:02Z|0|10.0.0.1|TCP_MISS_ABORTED/000|0|POST|http://api.example/||HIER_DIRECT|"},
		{"user and west zone", false,
			`10.0.2.16 - anna [21/Nov/2026:07:47:00 -0500] "GET http://n.example/ HTTP/1.1" 304 312 TCP_MISS:HIER_DIRECT`,
			"2026-11-21T12:47:00Z|0|10.0.2.16|TCP_MISS/304|312|GET|http://n.example/|anna|HIER_DIRECT|"},
		{"Newfoundland as Squid 5 prints it", false,
			`10.0.2.16 - - [06/Dec/2026:15:29:34 -03-30] "GET http://n.example/ HTTP/1.1" 200 312 TCP_MISS:HIER_DIRECT`,
			"2026-12-06T18:59:34Z|0|10.0.2.16|TCP_MISS/200|312|GET|http://n.example/||HIER_DIRECT|"},
		{"Newfoundland, combined", true,
			`10.0.2.16 - - [06/Dec/2026:15:29:34 -03-30] "GET http://n.example/ HTTP/1.1" 200 312 "-" "curl/7.88" TCP_MISS:HIER_DIRECT`,
			"2026-12-06T18:59:34Z|0|10.0.2.16|TCP_MISS/200|312|GET|http://n.example/||HIER_DIRECT|"},
		{"invalid utf8", false,
			"10.0.0.1 - - [21/Nov/2026:13:48:00 +0100] \"GET http://x/\xe9\x00 HTTP/1.1\" 200 1 TCP_MISS:HIER_DIRECT",
			"2026-11-21T12:48:00Z|0|10.0.0.1|TCP_MISS/200|1|GET|http://x/%E9%00||HIER_DIRECT|"},
		{"combined", true,
			`10.4.24.77 - - [21/Nov/2026:13:45:12 +0100] "GET http://example.com/ HTTP/1.1" 200 5120 "http://r.example/" "Mozilla/5.0 (X11)" TCP_MISS:HIER_DIRECT`,
			"2026-11-21T12:45:12Z|0|10.4.24.77|TCP_MISS/200|5120|GET|http://example.com/||HIER_DIRECT|"},
		{"combined line as common", false,
			`10.4.24.77 - - [21/Nov/2026:13:45:12 +0100] "GET http://example.com/ HTTP/1.1" 200 5120 "-" "Mozilla/5.0 (X11)" TCP_MISS:HIER_DIRECT`,
			"reject: bad result code"},
		// Lines Squid 5.7 writes (see fixtures/squid-real).
		{"user with spaces", false,
			`127.1.0.22 - jan de vries [22/Nov/2026:00:44:48 +0100] "GET http://o.example/f HTTP/1.1" 200 47453 TCP_MISS:HIER_DIRECT`,
			"2026-11-21T23:44:48Z|0|127.1.0.22|TCP_MISS/200|47453|GET|http://o.example/f|jan de vries|HIER_DIRECT|"},
		{"user url-encoded", false,
			`127.0.0.1 - j%c3%bcrgen m%c3%bcller [22/Nov/2026:00:44:48 +0100] "GET http://o.example/f HTTP/1.1" 200 1 TCP_MISS:HIER_DIRECT`,
			"2026-11-21T23:44:48Z|0|127.0.0.1|TCP_MISS/200|1|GET|http://o.example/f|jürgen müller|HIER_DIRECT|"},
		{"user with escaped brackets, quote and a date", false,
			`127.0.0.1 - x %5by%5d - %5b22/nov/2026"q%25 [22/Nov/2026:00:44:48 +0100] "GET http://o.example/f HTTP/1.1" 200 1 TCP_MISS:HIER_DIRECT`,
			`2026-11-21T23:44:48Z|0|127.0.0.1|TCP_MISS/200|1|GET|http://o.example/f|x [y] - [22/nov/2026"q%|HIER_DIRECT|`},
		{"user with escaped tab and invalid byte", false,
			`127.0.0.1 - a%09b u%e9 [22/Nov/2026:00:44:48 +0100] "GET http://o.example/f HTTP/1.1" 200 1 TCP_MISS:HIER_DIRECT`,
			"2026-11-21T23:44:48Z|0|127.0.0.1|TCP_MISS/200|1|GET|http://o.example/f|a%09b u%E9|HIER_DIRECT|"},
		{"transaction end before headers", false,
			`127.0.0.1 - - [22/Nov/2026:00:44:46 +0100] "- error:transaction-end-before-headers NONE/0.0" 0 0 NONE_NONE:HIER_NONE`,
			"2026-11-21T23:44:46Z|0|127.0.0.1|NONE_NONE/000|0|-|error:transaction-end-before-headers||HIER_NONE|"},
		{"invalid request", false,
			`127.0.0.1 - - [06/Dec/2026:17:54:16 +0000] "garbage error:invalid-request HTTP/1.1" 400 3376 NONE_NONE:HIER_NONE`,
			"2026-12-06T17:54:16Z|0|127.0.0.1|NONE_NONE/400|3376|garbage|error:invalid-request||HIER_NONE|"},
		{"request too large", false,
			`127.0.0.1 - - [06/Dec/2026:17:54:06 +0000] "GET error:request-too-large HTTP/1.1" 431 3631 NONE_NONE:HIER_NONE`,
			"2026-12-06T17:54:06Z|0|127.0.0.1|NONE_NONE/431|3631|GET|error:request-too-large||HIER_NONE|"},
		{"ipv6 client, 5 GiB", false,
			`::1 - - [06/Dec/2026:17:55:14 +0000] "GET http://[::1]:38081/big HTTP/1.1" 200 5368709436 TCP_MISS:HIER_DIRECT`,
			"2026-12-06T17:55:14Z|0|::1|TCP_MISS/200|5368709436|GET|http://[::1]:38081/big||HIER_DIRECT|"},
		{"quote in url", false,
			`127.0.0.1 - - [06/Dec/2026:17:54:06 +0000] "GET http://127.0.0.1:38080/q"x HTTP/1.1" 200 309 TCP_MISS:HIER_DIRECT`,
			`2026-12-06T17:54:06Z|0|127.0.0.1|TCP_MISS/200|309|GET|http://127.0.0.1:38080/q"x||HIER_DIRECT|`},
		{"quote and status-like text in url", false,
			`127.0.0.1 - - [06/Dec/2026:17:54:06 +0000] "GET http://h/a"b" 200 1 "c HTTP/1.1" 200 309 TCP_MISS:HIER_DIRECT`,
			`2026-12-06T17:54:06Z|0|127.0.0.1|TCP_MISS/200|309|GET|http://h/a"b" 200 1 "c||HIER_DIRECT|`},
		{"mime headers logged", false,
			`127.0.0.1 - - [06/Dec/2026:17:54:06 +0000] "GET http://h/ HTTP/1.1" 200 309 TCP_MISS:HIER_DIRECT [Host: h
] [HTTP/1.1 200 OK
]`,
			`2026-12-06T17:54:06Z|0|127.0.0.1|TCP_MISS/200|309|GET|http://h/||HIER_DIRECT|`},
		{"combined, quotes in referer and agent", true,
			`127.0.0.1 - - [06/Dec/2026:17:54:06 +0000] "GET http://127.0.0.1:38080/f47k HTTP/1.1" 200 47764 "http://r.example/"x" y" "Mozilla "QuoteBot" 1.0" TCP_MISS:HIER_DIRECT`,
			"2026-12-06T17:54:06Z|0|127.0.0.1|TCP_MISS/200|47764|GET|http://127.0.0.1:38080/f47k||HIER_DIRECT|"},
		{"combined, a lone quote as referer", true,
			`127.0.0.1 - - [06/Dec/2026:17:54:23 +0000] "GET http://127.0.0.1:38080/f47k HTTP/1.1" 200 47759 """ "a"b" "c" TCP_MISS:HIER_DIRECT`,
			"2026-12-06T17:54:23Z|0|127.0.0.1|TCP_MISS/200|47759|GET|http://127.0.0.1:38080/f47k||HIER_DIRECT|"},
		{"combined, status and size in the agent", true,
			`127.0.0.1 - - [06/Dec/2026:17:54:23 +0000] "GET http://127.0.0.1:38080/f47k HTTP/1.1" 200 47759 "-" "x" 200 1 "y" TCP_MISS:HIER_DIRECT`,
			"2026-12-06T17:54:23Z|0|127.0.0.1|TCP_MISS/200|47759|GET|http://127.0.0.1:38080/f47k||HIER_DIRECT|"},
		{"combined, status and size in url and referer", true,
			`127.0.0.1 - - [06/Dec/2026:17:54:23 +0000] "GET http://h/a"b HTTP/1.1" 200 10 "x HTTP/1.1" 200 5 "b" "ua" TCP_MISS:HIER_DIRECT`,
			`2026-12-06T17:54:23Z|0|127.0.0.1|TCP_MISS/200|10|GET|http://h/a"b||HIER_DIRECT|`},
		{"combined, user with spaces", true,
			`127.0.0.1 - jan de vries [06/Dec/2026:17:54:06 +0000] "GET http://o/f HTTP/1.1" 200 47764 "-" "curl/7.88.1" TCP_MISS:HIER_DIRECT`,
			"2026-12-06T17:54:06Z|0|127.0.0.1|TCP_MISS/200|47764|GET|http://o/f|jan de vries|HIER_DIRECT|"},
		{"combined, invalid utf8 agent", true,
			"127.0.0.1 - - [06/Dec/2026:17:54:23 +0000] \"GET http://o/f HTTP/1.1\" 200 47759 \"-\" \"\xc3\xa9\xff\" TCP_MISS:HIER_DIRECT",
			"2026-12-06T17:54:23Z|0|127.0.0.1|TCP_MISS/200|47759|GET|http://o/f||HIER_DIRECT|"},
		{"combined, one quoted field", true,
			`10.0.0.1 - - [21/Nov/2026:13:48:03 +0100] "GET http://example.com/ HTTP/1.1" 200 5120 "-" TCP_MISS:HIER_DIRECT`,
			"reject: missing referer or user agent"},
		{"apache combined line", false,
			`192.0.2.23 - - [23/Mar/2018:12:31:01 +0000] "GET /api/config HTTP/1.1" 200 28 "https://service.example.com/" "libcurl"`,
			"reject: bad result code"},
		{"blank", false, " \t", "blank"},
		{"no user field", false, `10.0.0.1 - [21/Nov/2026:13:48:00 +0100] "GET http://x/ HTTP/1.1" 200 1 A:B`, "reject: missing fields"},
		{"no quote after the request", false, `10.0.0.1 - - [21/Nov/2026:13:48:00 +0100] "GET http://x/ HTTP/1.1 200 1 A:B`, "reject: bad request field"},
		{"request not quoted", false, `10.0.0.1 - - [21/Nov/2026:13:48:00 +0100] GET http://x/ HTTP/1.1 200 1 A:B`, "reject: bad request field"},
		{"common line as combined", true,
			`10.4.24.77 - - [21/Nov/2026:13:45:12 +0100] "GET http://example.com/ HTTP/1.1" 200 5120 TCP_MISS:HIER_DIRECT`,
			"reject: missing referer or user agent"},
		{"empty", false, "", "blank"},
		{"hostname", false, `proxy.example - - [21/Nov/2026:13:45:12 +0100] "GET / HTTP/1.1" 200 1 A:B`, "reject: bad client address"},
		{"bad date", false, `10.0.0.1 - - [31/Nov/2026:13:48:00 +0100] "GET http://x/ HTTP/1.1" 200 1 A:B`, "reject: bad timestamp"},
		{"bad zone", false, `10.0.0.1 - - [21/Nov/2026:13:48:00 +0160] "GET http://x/ HTTP/1.1" 200 1 A:B`, "reject: bad timestamp"},
		{"no protocol", false, `10.0.0.1 - - [21/Nov/2026:13:48:00 +0100] "GET http://x/" 200 1 A:B`,
			"2026-11-21T12:48:00Z|0|10.0.0.1|A/200|1|GET|http://x/||B|"},
		{"one word", false, `10.0.0.1 - - [21/Nov/2026:13:48:00 +0100] "xyz" 400 1 A:B`,
			"2026-11-21T12:48:00Z|0|10.0.0.1|A/400|1||xyz||B|"},
		{"no hierarchy", false, `10.0.0.1 - - [21/Nov/2026:13:48:00 +0100] "GET http://x/ HTTP/1.1" 200 1 TCP_MISS`, "reject: bad result code"},
		{"status too big", false, `10.0.0.1 - - [21/Nov/2026:13:48:00 +0100] "GET http://x/ HTTP/1.1" 2000 1 A:B`, "reject: bad status"},
		{"only time", false, `10.0.0.1 - - [21/Nov/2026:13:48:00 +0100]`, "reject: missing fields"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := SquidCommon{Combined: tt.combined}
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

// TestSquidCommonFixture parses the sample logs and compares every record
// with the hand-checked golden files.
func TestSquidCommonFixture(t *testing.T) {
	for _, tt := range []struct {
		dir      string
		combined bool
	}{{"squid-common", false}, {"squid-combined", true}} {
		t.Run(tt.dir, func(t *testing.T) {
			// The general rule alone must give the same golden file.
			for _, noQuick := range []bool{false, true} {
				var out bytes.Buffer
				p := SquidCommon{Combined: tt.combined, noQuick: noQuick}
				var rec Proxy
				eachLine(t, "../fixtures/"+tt.dir+"/access.log", func(n int64, line []byte) {
					switch err := p.Parse(line, &rec); {
					case errors.Is(err, ErrBlank):
						fmt.Fprintf(&out, "%d: blank\n", n)
					case err != nil:
						fmt.Fprintf(&out, "%d: reject: %s\n", n, Reason(err))
					default:
						fmt.Fprintf(&out, "%d: %s\n", n, dumpProxy(&rec))
					}
				})
				golden(t, "../fixtures/"+tt.dir+"/access.golden", out.Bytes())
			}
		})
	}
}

func FuzzSquidCommon(f *testing.F) {
	seedLines(f, "../fixtures/squid-common/access.log", "../fixtures/squid-combined/access.log",
		"../fixtures/squid-real/common.log", "../fixtures/squid-real/combined.log",
		"../fixtures/squid-real/common-mime.log", "../fixtures/squid-real/combined-mime.log")
	f.Add([]byte(`127.0.0.1 - - [06/Dec/2026:17:54:23 +0000] "GET http://h/a"b HTTP/1.1" 200 10 "x HTTP/1.1" 200 5 "b" "ua" TCP_MISS:HIER_DIRECT`))
	// A tab in the last field: the quick path once read it apart from the general rule.
	f.Add([]byte("0.0.0.0 0 0 [01/Nov/0000:00:00:00 +0000]\"\" 0 0 A:\t0"))
	f.Add([]byte(`127.0.0.1 - a%zz%0%e9 [06/Dec/2026:17:54:06 +0000] "GET http://h/ HTTP/1.1" 200 309 A:B [x] [y]`))
	f.Fuzz(func(t *testing.T, line []byte) {
		for _, combined := range []bool{false, true} {
			fresh := SquidCommon{Combined: combined}
			var rec Proxy
			err := fresh.Parse(line, &rec)
			// The same parser after another line must agree: no state
			// leaks from line to line.
			used := SquidCommon{Combined: combined}
			var other Proxy
			used.Parse([]byte(`10.4.24.77 - - [21/Nov/2026:13:45:12 +0100] "GET http://example.com/ HTTP/1.1" 200 5120 "-" "-" TCP_MISS:HIER_DIRECT`), &other)
			var rec2 Proxy
			err2 := used.Parse(line, &rec2)
			if (err == nil) != (err2 == nil) {
				t.Fatalf("accepted and rejected: %v / %v", err, err2)
			}
			if err != nil {
				if Reason(err) == "" || Reason(err) != Reason(err2) {
					t.Fatalf("reasons %q / %q", Reason(err), Reason(err2))
				}
				continue
			}
			if dumpProxy(&rec) != dumpProxy(&rec2) {
				t.Fatalf("results differ:\n%s\n%s", dumpProxy(&rec), dumpProxy(&rec2))
			}
			general := SquidCommon{Combined: combined, noQuick: true}
			var rec3 Proxy
			if err := general.Parse(line, &rec3); err != nil || dumpProxy(&rec) != dumpProxy(&rec3) {
				t.Fatalf("quick path and general rule differ: %v\n%s\n%s", err, dumpProxy(&rec), dumpProxy(&rec3))
			}
			checkText(t, rec.Status, rec.Method, rec.URL, rec.Ident, rec.Hierarchy, rec.MIME)
			if !rec.Client.IsValid() || rec.Size < 0 || len(rec.Status) < 5 || rec.Zeit.IsZero() {
				t.Fatalf("accepted incomplete record from %q", line)
			}
		}
	})
}

const squidCommonLine = `10.4.24.77 - - [21/Nov/2026:13:45:12 +0100] "GET http://example.com/some/path?q=1 HTTP/1.1" 200 5120 TCP_MISS:HIER_DIRECT`
const squidCombinedLine = `10.4.24.77 - - [21/Nov/2026:13:45:12 +0100] "GET http://example.com/some/path?q=1 HTTP/1.1" 200 5120 "http://example.com/" "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0" TCP_MISS:HIER_DIRECT`

func BenchmarkSquidCommon(b *testing.B) {
	benchProxy(b, &SquidCommon{}, squidCommonLine)
}

func BenchmarkSquidCombined(b *testing.B) {
	benchProxy(b, &SquidCommon{Combined: true}, squidCombinedLine)
}

func benchProxy(b *testing.B, p *SquidCommon, s string) {
	line := []byte(s)
	var rec Proxy
	b.SetBytes(int64(len(line) + 1))
	b.ReportAllocs()
	for b.Loop() {
		if err := p.Parse(line, &rec); err != nil {
			b.Fatal(err)
		}
	}
}

func TestSquidCommonNoAllocs(t *testing.T) {
	for _, tt := range []struct {
		p    *SquidCommon
		line string
	}{{&SquidCommon{}, squidCommonLine}, {&SquidCommon{Combined: true}, squidCombinedLine}} {
		line := []byte(tt.line)
		var rec Proxy
		if err := tt.p.Parse(line, &rec); err != nil {
			t.Fatal(err)
		}
		if n := testing.AllocsPerRun(100, func() { tt.p.Parse(line, &rec) }); n != 0 {
			t.Fatalf("Parse allocates %v times per line", n)
		}
	}
}
