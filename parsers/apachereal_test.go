package parsers

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// The files in fixtures/apache-real were written by Apache 2.4 itself: one
// server with three CustomLog lines (common, combined, vhost_combined),
// run once with HostnameLookups Off and once On (*-hostnames.log), driven
// with curl and raw sockets on the loopback interface: user names with
// spaces, brackets, quotes and non-ASCII letters, a failed login (401),
// quotes and control bytes in referer and user agent, request lines with
// spaces (400), garbage and a TLS handshake (400, 408 with request "-"),
// a request cut off (408) and one with headers too large (400).
var apacheRealFiles = []struct {
	file   string
	format ApacheFormat
}{
	{"common", ApacheCommon},
	{"combined", ApacheCombined},
	{"vhost_combined", ApacheVHostCombined},
}

// TestApacheRealFormats requires every line Apache wrote to be a record,
// compares the records with hand-checked golden files, and requires the
// three formats to agree on what they share (client, second, request,
// user, status; combined and vhost_combined also on size, which common
// counts without headers), with and without HostnameLookups.
func TestApacheRealFormats(t *testing.T) {
	for _, suffix := range []string{".log", "-hostnames.log"} {
		t.Run(suffix, func(t *testing.T) {
			type shared struct{ client, second, datei, user, method string }
			var recs [][]shared
			var sizes [][]int64
			for _, f := range apacheRealFiles {
				var out bytes.Buffer
				var rs []shared
				var ss []int64
				p := NewApache(f.format, "www.kunde.example")
				var rec HTTP
				path := "../fixtures/apache-real/" + f.file + suffix
				eachLine(t, path, func(n int64, line []byte) {
					if err := p.Parse(line, &rec); err != nil {
						t.Errorf("%s:%d: %s: %q", path, n, Reason(err), line)
						return
					}
					fmt.Fprintf(&out, "%d: %s\n", n, dumpHTTP(&rec))
					client := rec.IP.String()
					if !rec.IP.IsValid() {
						client = string(rec.Host)
					}
					rs = append(rs, shared{client, rec.Zeit.Format("2006-01-02T15:04:05") + fmt.Sprint(rec.Status),
						string(rec.Datei), string(rec.HTUser), string(rec.Method)})
					ss = append(ss, rec.Size)
				})
				golden(t, strings.TrimSuffix(path, ".log")+".golden", out.Bytes())
				recs, sizes = append(recs, rs), append(sizes, ss)
			}
			for i := 1; i < len(recs); i++ {
				if len(recs[i]) != len(recs[0]) {
					t.Fatalf("%s: %d records, common: %d", apacheRealFiles[i].file, len(recs[i]), len(recs[0]))
				}
				for j := range recs[0] {
					if recs[i][j] != recs[0][j] {
						t.Errorf("line %d: %s gives %v, common %v", j+1, apacheRealFiles[i].file, recs[i][j], recs[0][j])
					}
					if i == 2 && sizes[2][j] != sizes[1][j] {
						t.Errorf("line %d: size %d in vhost_combined, %d in combined", j+1, sizes[2][j], sizes[1][j])
					}
				}
			}
		})
	}
}
