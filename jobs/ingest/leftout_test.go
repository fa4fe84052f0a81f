package ingest_test

import (
	"strings"
	"testing"

	"github.com/ispacct/ispacct/jobs/ingest"
)

// TestLeftOut: what makes an ingest partly done, in one place for ingest,
// backfill and the chains.
func TestLeftOut(t *testing.T) {
	globs := []string{"/var/log/squid3/access.log*"}
	bad := []ingest.FileError{{Path: "/l/access.log.2.gz", Offset: 512, Err: "unexpected EOF"}}
	for _, tt := range []struct {
		name string
		src  ingest.Source
		res  ingest.Result
		want string
	}{
		{"all read", ingest.Source{Name: "squid", Globs: globs, Files: []string{"a"}}, ingest.Result{Lines: 100, Rejects: 1}, ""},
		{"no file matches", ingest.Source{Name: "squid", Globs: globs}, ingest.Result{}, "squid: no file matches /var/log/squid3/access.log*"},
		{"files named by hand", ingest.Source{Name: "squid"}, ingest.Result{}, ""},
		{"unreadable file", ingest.Source{Name: "squid", Files: []string{"a"}}, ingest.Result{FileErrors: bad},
			"squid: /l/access.log.2.gz not read from offset 512: unexpected EOF"},
		{"held file", ingest.Source{Name: "squid", Files: []string{"a"}},
			ingest.Result{Held: []ingest.Held{{Path: "/l/access.log", Reason: "changed since it was read", Fix: "'ispacct ingest --reload …' reloads it"}}},
			"squid: /l/access.log changed since it was read: 'ispacct ingest --reload …' reloads it"},
		{"a mail log without a line of the mail server", ingest.Source{Name: "mail", Format: "postfix", Files: []string{"a"}},
			ingest.Result{Table: "mta", Lines: 12, Blank: 1, Ignored: 11},
			"mail: no line from the mail server's programs (postfix/…, sendmail, sm-mta) among those read (11): is it the mail log, and in the format postfix?"},
		{"a mail log with one", ingest.Source{Name: "mail", Format: "postfix", Files: []string{"a"}},
			ingest.Result{Table: "mta", Lines: 12, Ignored: 11, MTALines: 1}, ""},
		{"rejects above threshold", ingest.Source{Name: "web", Files: []string{"a"}}, ingest.Result{Lines: 100, Rejects: 2},
			"web: 2 of 100 lines rejected, above the threshold of 1.00%"},
	} {
		if got := strings.Join(ingest.LeftOut(tt.src, &tt.res, 0.01), "; "); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}
