package parsers

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// The files in fixtures/squid-real were written by Squid 5.7 itself: one
// run with three access_log lines (squid, common and combined) at once,
// driven with curl and raw sockets through a proxy on the loopback
// interface: proxy-auth user names with spaces, quotes, brackets and
// non-ASCII letters, IPv6 clients, quotes and '|' in URLs and headers, a
// 5 GiB response and an aborted one, garbage request lines, requests too
// large (431), methods the origin refuses (501), and connections closed
// before a request ("- error:transaction-end-before-headers"). The
// *-mime.log files come from the same Squid with log_mime_hdrs on.
var squidRealFiles = []struct {
	file string
	p    func() ProxyParser
}{
	{"native", func() ProxyParser { return new(Squid) }},
	{"common", func() ProxyParser { return new(SquidCommon) }},
	{"combined", func() ProxyParser { return &SquidCommon{Combined: true} }},
}

// TestSquidRealFormats requires every line Squid wrote to be a record,
// compares the records with hand-checked golden files, and requires the
// three formats to agree, line by line, on what they share: client,
// second, status, size, method, URL and user; and so on requests and
// bytes per client.
func TestSquidRealFormats(t *testing.T) {
	for _, suffix := range []string{".log", "-mime.log"} {
		t.Run(suffix, func(t *testing.T) { squidRealFormats(t, suffix) })
	}
}

func squidRealFormats(t *testing.T, suffix string) {
	type shared struct{ client, second, status, method, url, ident string }
	var recs [][]shared
	var sizes [][]int64
	for _, f := range squidRealFiles {
		var out bytes.Buffer
		var rs []shared
		var ss []int64
		p := f.p()
		var rec Proxy
		path := "../fixtures/squid-real/" + f.file + suffix
		eachLine(t, path, func(n int64, line []byte) {
			if err := p.Parse(line, &rec); err != nil {
				t.Errorf("%s:%d: %s: %q", f.file, n, Reason(err), line)
				return
			}
			fmt.Fprintf(&out, "%d: %s\n", n, dumpProxy(&rec))
			rs = append(rs, shared{rec.Client.String(), rec.Zeit.Format("2006-01-02T15:04:05"),
				string(rec.Status), string(rec.Method), string(rec.URL), string(rec.Ident)})
			ss = append(ss, rec.Size)
		})
		golden(t, strings.TrimSuffix(path, ".log")+".golden", out.Bytes())
		recs, sizes = append(recs, rs), append(sizes, ss)
	}
	for i := 1; i < len(recs); i++ {
		if len(recs[i]) != len(recs[0]) {
			t.Fatalf("%s: %d records, %s: %d", squidRealFiles[i].file, len(recs[i]), squidRealFiles[0].file, len(recs[0]))
		}
		for j := range recs[0] {
			if recs[i][j] != recs[0][j] || sizes[i][j] != sizes[0][j] {
				t.Errorf("line %d: %s gives %v %d, %s gives %v %d", j+1, squidRealFiles[i].file, recs[i][j], sizes[i][j],
					squidRealFiles[0].file, recs[0][j], sizes[0][j])
			}
		}
	}
	// Per client, as the bills count.
	type total struct{ requests, bytes int64 }
	var totals []map[string]total
	for i := range recs {
		m := map[string]total{}
		for j, r := range recs[i] {
			tt := m[r.client]
			tt.requests++
			tt.bytes += sizes[i][j]
			m[r.client] = tt
		}
		totals = append(totals, m)
	}
	for i := 1; i < len(totals); i++ {
		if fmt.Sprint(totals[i]) != fmt.Sprint(totals[0]) {
			t.Errorf("per client: %s %v, %s %v", squidRealFiles[i].file, totals[i], squidRealFiles[0].file, totals[0])
		}
	}
	t.Logf("per client: %v", totals[0])
}
