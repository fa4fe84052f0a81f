package parsers

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"
)

// dumpHTTP writes a record on one line; a client host name is written
// "host=NAME" in place of the address.
func dumpHTTP(r *HTTP) string {
	client := r.IP.String()
	if !r.IP.IsValid() {
		client = "host=" + string(r.Host)
	}
	return fmt.Sprintf("%s|%s|%s|%d|%s|%s|%s|%s|%d|%d|%s|%s", r.Zeit.Format(time.RFC3339Nano), client, r.URL, r.Port,
		r.Datei, r.HTUser, r.Method, r.Protocol, r.Status, r.Size, r.Referer, r.UserAgent)
}

func TestApacheParse(t *testing.T) {
	tests := []struct {
		name   string
		format ApacheFormat
		vhost  string
		line   string
		want   string // dumpHTTP output, or "reject: reason"
	}{
		{"common", ApacheCommon, "",
			`10.4.24.77 - - [21/Nov/2026:13:45:12 +0100] "GET /index.html HTTP/1.1" 200 5120`,
			"2026-11-21T12:45:12Z|10.4.24.77||0|/index.html||GET|HTTP/1.1|200|5120||"},
		{"common with file vhost", ApacheCommon, "www.kunde.example",
			`10.4.24.77 - anna [21/Nov/2026:13:45:12 -0800] "GET /a?b=1 HTTP/1.1" 200 -`,
			"2026-11-21T21:45:12Z|10.4.24.77|www.kunde.example|0|/a?b=1|anna|GET|HTTP/1.1|200|0||"},
		{"combined escaped quotes", ApacheCombined, "",
			`10.4.24.78 - - [21/Nov/2026:13:45:14 +0100] "GET /q HTTP/2.0" 200 12 "http://r/?a=\"b\"" "A \"B\" \\ C"`,
			`2026-11-21T12:45:14Z|10.4.24.78||0|/q||GET|HTTP/2.0|200|12|http://r/?a="b"|A "B" \ C`},
		{"combined dashes", ApacheCombined, "",
			`10.4.24.78 - - [21/Nov/2026:13:45:14 +0100] "-" 408 - "-" "-"`,
			"2026-11-21T12:45:14Z|10.4.24.78||0|||||408|0||"},
		{"tls junk", ApacheCombined, "",
			`198.51.100.7 - - [21/Nov/2026:13:45:16 +0100] "\x16\x03\x01\x00\xa5" 400 226 "-" "-"`,
			`2026-11-21T12:45:16Z|198.51.100.7||0|\x16\x03\x01\x00\xa5||||400|226||`},
		{"utf8 escaped", ApacheCommon, "",
			`10.0.2.16 - - [21/Nov/2026:13:45:19 +0100] "GET /caf\xc3\xa9 HTTP/1.1" 200 99`,
			"2026-11-21T12:45:19Z|10.0.2.16||0|/café||GET|HTTP/1.1|200|99||"},
		{"raw invalid bytes", ApacheCommon, "",
			"10.0.2.16 - - [21/Nov/2026:13:45:19 +0100] \"GET /\xe9\x00 HTTP/1.1\" 200 99",
			"2026-11-21T12:45:19Z|10.0.2.16||0|/%E9%00||GET|HTTP/1.1|200|99||"},
		{"http 0.9", ApacheCommon, "",
			`10.0.2.16 - - [21/Nov/2026:13:45:19 +0100] "GET /" 400 226`,
			"2026-11-21T12:45:19Z|10.0.2.16||0|/||GET||400|226||"},
		{"user with space", ApacheCommon, "",
			`10.0.2.16 - jo doe [21/Nov/2026:13:45:19 +0100] "GET / HTTP/1.1" 200 1`,
			"2026-11-21T12:45:19Z|10.0.2.16||0|/|jo doe|GET|HTTP/1.1|200|1||"},
		{"vhost", ApacheVHostCombined, "ignored.example",
			`www.kunde.example:443 2001:db8::77 - bob [21/Nov/2026:13:45:14 +0100] "POST /cart HTTP/1.1" 200 1234 "-" "M"`,
			"2026-11-21T12:45:14Z|2001:db8::77|www.kunde.example|443|/cart|bob|POST|HTTP/1.1|200|1234||M"},
		{"vhost IPv6 literal, port with a leading zero", ApacheVHostCombined, "",
			`[2001:db8::1]:0443 10.4.24.77 - - [21/Nov/2026:13:45:14 +0100] "GET / HTTP/1.1" 200 1 "-" "-"`,
			"2026-11-21T12:45:14Z|10.4.24.77|[2001:db8::1]|443|/||GET|HTTP/1.1|200|1||"},
		{"vhost port too large", ApacheVHostCombined, "",
			`www.kunde.example:65536 10.4.24.77 - - [21/Nov/2026:13:45:14 +0100] "GET / HTTP/1.1" 200 1 "-" "-"`,
			"reject: bad virtual host"},
		{"vhost port of 19 digits", ApacheVHostCombined, "",
			`www.kunde.example:0000000000000000080 10.4.24.77 - - [21/Nov/2026:13:45:14 +0100] "GET / HTTP/1.1" 200 1 "-" "-"`,
			"reject: bad virtual host"},
		{"vhost colon without port", ApacheVHostCombined, "",
			`www.kunde.example: 10.4.24.77 - - [21/Nov/2026:13:45:14 +0100] "GET / HTTP/1.1" 200 1 "-" "-"`,
			"reject: bad virtual host"},
		{"vhost without host", ApacheVHostCombined, "",
			`:80 10.4.24.77 - - [21/Nov/2026:13:45:14 +0100] "GET / HTTP/1.1" 200 1 "-" "-"`,
			"reject: bad virtual host"},
		{"hostname lookups", ApacheCommon, "",
			`client.kunde.example - - [21/Nov/2026:13:45:26 +0100] "GET / HTTP/1.1" 200 10`,
			"2026-11-21T12:45:26Z|host=client.kunde.example||0|/||GET|HTTP/1.1|200|10||"},
		{"hostname lookups, combined", ApacheCombined, "",
			`monitoring-server - - [21/Nov/2026:13:45:26 +0100] "GET /status HTTP/1.1" 200 4711 "-" "check"`,
			"2026-11-21T12:45:26Z|host=monitoring-server||0|/status||GET|HTTP/1.1|200|4711||check"},
		{"virtual host before the client", ApacheCombined, "",
			`www.example.com 10.4.24.77 - - [21/Nov/2026:13:45:26 +0100] "GET / HTTP/1.1" 200 10 "-" "-"`,
			`reject: virtual host before the client address (a "%v %h" or vhost_combined log, not this format)`},
		{"vhost_combined line as combined", ApacheCombined, "",
			`www.example.com:443 10.4.24.77 - - [21/Nov/2026:13:45:26 +0100] "GET / HTTP/1.1" 200 10 "-" "-"`,
			`reject: virtual host before the client address (a "%v %h" or vhost_combined log, not this format)`},
		{"unescaped quotes in referer and agent", ApacheCombined, "",
			`10.4.24.78 - - [21/Nov/2026:13:45:14 +0100] "GET /q HTTP/1.1" 200 12 "http://r/"x" y" "Mozilla "QuoteBot" 1.0"`,
			`2026-11-21T12:45:14Z|10.4.24.78||0|/q||GET|HTTP/1.1|200|12|http://r/"x" y|Mozilla "QuoteBot" 1.0`},
		{"user with spaces and quote", ApacheCombined, "",
			`10.4.24.78 - jan "de" vries [21/Nov/2026:13:45:14 +0100] "GET /q HTTP/1.1" 401 12 "-" "-"`,
			`2026-11-21T12:45:14Z|10.4.24.78||0|/q|jan "de" vries|GET|HTTP/1.1|401|12||`},
		{"quote, space, quote ends the line", ApacheCombined, "",
			`10.4.24.78 - - [21/Nov/2026:13:45:14 +0100] "GET /q HTTP/1.1" 200 12 "x" "`, "reject: unterminated quoted field"},
		{"user with a bracket", ApacheCommon, "",
			`10.4.24.78 - jan [de] vries [21/Nov/2026:13:45:14 +0100] "GET /q HTTP/1.1" 200 12`,
			`2026-11-21T12:45:14Z|10.4.24.78||0|/q|jan [de] vries|GET|HTTP/1.1|200|12||`},
		{"garbage request", ApacheCombined, "",
			`10.4.24.78 - - [21/Nov/2026:13:45:14 +0100] "garbage line here" 400 226 "-" "-"`,
			`2026-11-21T12:45:14Z|10.4.24.78||0|line here||garbage||400|226||`},
		{"vhost without port", ApacheVHostCombined, "",
			`10.4.24.77 - - [21/Nov/2026:13:45:17 +0100] "GET / HTTP/1.1" 200 1 "-" "-"`,
			"reject: bad virtual host"},
		{"unterminated", ApacheCommon, "", `10.0.2.16 - - [21/Nov/2026:13:45:27 +0100] "GET /x HTTP/1.1 200 10`, "reject: unterminated quoted field"},
		{"no zone", ApacheCommon, "", `10.0.2.16 - - [21/Nov/2026:13:45:28] "GET / HTTP/1.1" 200 10`, "reject: bad timestamp"},
		{"bad status", ApacheCommon, "", `10.0.2.16 - - [21/Nov/2026:13:45:29 +0100] "GET / HTTP/1.1" OK 10`, "reject: bad status"},
		{"bad size", ApacheCommon, "", `10.0.2.16 - - [21/Nov/2026:13:45:29 +0100] "GET / HTTP/1.1" 200 ten`, "reject: bad size"},
		{"no size", ApacheCommon, "", `10.0.2.16 - - [21/Nov/2026:13:45:29 +0100] "GET / HTTP/1.1" 200`, "reject: missing fields"},
		{"no agent", ApacheCombined, "", `10.0.2.16 - - [21/Nov/2026:13:45:29 +0100] "GET / HTTP/1.1" 200 1 "-"`, "reject: missing fields"},
		{"empty user", ApacheCommon, "", `10.0.2.16 - "" [21/Nov/2026:13:45:29 +0100] "GET / HTTP/1.1" 401 1`,
			"2026-11-21T12:45:29Z|10.0.2.16||0|/||GET|HTTP/1.1|401|1||"},
		{"empty", ApacheCommon, "", ``, "blank"},
		{"blank", ApacheCombined, "", " \t ", "blank"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := NewApache(tt.format, tt.vhost)
			var rec HTTP
			got := ""
			if err := p.Parse([]byte(tt.line), &rec); errors.Is(err, ErrBlank) {
				got = "blank"
			} else if err != nil {
				got = "reject: " + Reason(err)
			} else {
				got = dumpHTTP(&rec)
			}
			if got != tt.want {
				t.Errorf("Parse(%q)\n got  %s\n want %s", tt.line, got, tt.want)
			}
		})
	}
}

var apacheFixtures = []struct {
	file, vhost string
	format      ApacheFormat
}{
	{"common.log", "", ApacheCommon},
	{"combined.log", "", ApacheCombined},
	{"vhost_combined.log", "", ApacheVHostCombined},
	{"www.kunde.example-access.log", "www.kunde.example", ApacheCombined},
	{"sample.log", "", ApacheVHostCombined}, // make run's sample
}

// TestApacheFixture parses the sample logs of every format and compares
// every record with the hand-checked golden files.
func TestApacheFixture(t *testing.T) {
	for _, tt := range apacheFixtures {
		t.Run(tt.file, func(t *testing.T) {
			var out bytes.Buffer
			path := "../fixtures/apache/" + tt.file
			// The general rule alone must give the same golden file.
			for _, noQuick := range []bool{false, true} {
				out.Reset()
				p := NewApache(tt.format, tt.vhost)
				p.noQuick = noQuick
				var rec HTTP
				eachLine(t, path, func(n int64, line []byte) {
					switch err := p.Parse(line, &rec); {
					case errors.Is(err, ErrBlank):
						fmt.Fprintf(&out, "%d: blank\n", n)
					case err != nil:
						fmt.Fprintf(&out, "%d: reject: %s\n", n, Reason(err))
					default:
						fmt.Fprintf(&out, "%d: %s\n", n, dumpHTTP(&rec))
					}
				})
				golden(t, path[:len(path)-len(".log")]+".golden", out.Bytes())
			}
		})
	}
}

func FuzzApache(f *testing.F) {
	for _, tt := range apacheFixtures {
		seedLines(f, "../fixtures/apache/"+tt.file)
	}
	for _, tt := range apacheRealFiles {
		seedLines(f, "../fixtures/apache-real/"+tt.file+".log", "../fixtures/apache-real/"+tt.file+"-hostnames.log")
	}
	f.Add([]byte(`monitoring-server - - [21/Nov/2026:13:45:26 +0100] "GET /status HTTP/1.1" 200 4711 "-" "check"`))
	f.Add([]byte(`www.example.com 10.4.24.77 - - [21/Nov/2026:13:45:26 +0100] "GET / HTTP/1.1" 200 10 "-" "-"`))
	f.Add([]byte(`10.4.24.78 - jan de vries [21/Nov/2026:13:45:14 +0100] "GET /q HTTP/1.1" 200 12 "http://r/"x" y" "Mozilla "QuoteBot" 1.0"`))
	f.Add([]byte(" \t "))
	prev := []byte(`www.kunde.example:443 10.4.24.77 - anna [21/Nov/2026:13:45:12 +0100] "GET /index.html HTTP/2.0" 200 5120 "http://a/\"" "Mozilla/5.0 \\"`)
	f.Fuzz(func(t *testing.T, line []byte) {
		for _, format := range []ApacheFormat{ApacheCommon, ApacheCombined, ApacheVHostCombined} {
			var rec, rec2 HTTP
			err := NewApache(format, "v.example").Parse(line, &rec)
			used := NewApache(format, "v.example")
			used.Parse(prev, &rec2)
			err2 := used.Parse(line, &rec2)
			general := NewApache(format, "v.example")
			general.noQuick = true
			var rec3 HTTP
			err3 := general.Parse(line, &rec3)
			if (err == nil) != (err2 == nil) || (err == nil) != (err3 == nil) {
				t.Fatalf("accepted and rejected: %v / %v / %v (general rule)", err, err2, err3)
			}
			if err == nil && dumpHTTP(&rec) != dumpHTTP(&rec3) {
				t.Fatalf("quick paths and general rule differ:\n%s\n%s", dumpHTTP(&rec), dumpHTTP(&rec3))
			}
			if err != nil {
				if Reason(err) == "" || Reason(err) != Reason(err2) || Reason(err) != Reason(err3) {
					t.Fatalf("reasons %q / %q / %q", Reason(err), Reason(err2), Reason(err3))
				}
				continue
			}
			if dumpHTTP(&rec) != dumpHTTP(&rec2) {
				t.Fatalf("results differ:\n%s\n%s", dumpHTTP(&rec), dumpHTTP(&rec2))
			}
			checkText(t, rec.URL, rec.Datei, rec.HTUser, rec.Method, rec.Protocol, rec.Referer, rec.UserAgent, rec.Host)
			if rec.IP.IsValid() == (len(rec.Host) > 0) || rec.Size < 0 || rec.Status < 0 || rec.Zeit.IsZero() {
				t.Fatalf("accepted incomplete record from %q", line)
			}
		}
	})
}

const apacheCombinedLine = `10.4.24.77 - - [21/Nov/2026:13:45:12 +0100] "GET /some/path/index.html?q=1 HTTP/1.1" 200 5120 "https://www.kunde.example/" "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"`
const apacheVHostLine = `www.kunde.example:443 10.4.24.77 - - [21/Nov/2026:13:45:12 +0100] "GET /some/path/index.html?q=1 HTTP/2.0" 200 5120 "https://www.kunde.example/" "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"`
const apacheCommonLine = `10.4.24.77 - anna [21/Nov/2026:13:45:12 +0100] "GET /some/path/index.html?q=1 HTTP/1.1" 200 5120`

func BenchmarkApache(b *testing.B) {
	for _, bb := range []struct {
		name   string
		format ApacheFormat
		line   string
	}{
		{"common", ApacheCommon, apacheCommonLine},
		{"combined", ApacheCombined, apacheCombinedLine},
		{"vhost", ApacheVHostCombined, apacheVHostLine},
	} {
		b.Run(bb.name, func(b *testing.B) {
			line := []byte(bb.line)
			p := NewApache(bb.format, "")
			var rec HTTP
			b.SetBytes(int64(len(line) + 1))
			b.ReportAllocs()
			for b.Loop() {
				if err := p.Parse(line, &rec); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestApacheNoAllocs(t *testing.T) {
	for _, tt := range []struct {
		format ApacheFormat
		line   string
	}{
		{ApacheCommon, apacheCommonLine},
		{ApacheCombined, apacheCombinedLine},
		{ApacheVHostCombined, apacheVHostLine},
		{ApacheCombined, `10.4.24.78 - - [21/Nov/2026:13:45:14 +0100] "GET /caf\xc3\xa9 HTTP/1.1" 200 - "-" "A \"B\""`},
		{ApacheCommon, `10.4.24.78 - anna [21/Nov/2026:13:45:14 +0100] "GET / HTTP/1.1" 200 1`},
		{ApacheCommon, `10.4.24.78 - jo doe [21/Nov/2026:13:45:14 +0100] "GET / HTTP/1.1" 200 1`},
	} {
		p := NewApache(tt.format, "")
		line := []byte(tt.line)
		var rec HTTP
		if err := p.Parse(line, &rec); err != nil {
			t.Fatal(err)
		}
		if n := testing.AllocsPerRun(100, func() { p.Parse(line, &rec) }); n != 0 {
			t.Fatalf("Parse allocates %v times per line: %s", n, tt.line)
		}
	}
}
