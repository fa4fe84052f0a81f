package ingest_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ispacct/ispacct/jobs/ingest"
	"github.com/ispacct/ispacct/jobs/report"
	"github.com/ispacct/ispacct/jobs/rollup"
	"github.com/ispacct/ispacct/schema/pgtest"
)

// repeat gives n copies of a line made from format, numbered from 0.
func repeat(n int, format string) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, format+"\n", i)
	}
	return b.String()
}

// edgeLines are lines at the edge of what each format accepts: fields
// left '-' or empty, IPv6 everywhere, sizes of 18 digits (ten to a day,
// more than a bigint sum holds), URLs that are no URLs.
var edgeLines = map[string]string{
	"squid": `1795216000.000      0 :: NONE_NONE/000 0 NONE - - HIER_NONE/- -
1795216001.000      5 2001:db8:ffff:ffff:ffff:ffff:ffff:ffff TCP_MISS/- - - - - -/- -
1795216002.000      5 10.0.0.2 TCP_MISS/200 1 GET [2001:db8::1]:443 - HIER_DIRECT/- -
1795216003.000      5 10.0.0.2 TCP_TUNNEL/200 1 CONNECT [::1]:443 - HIER_DIRECT/- -
1795216004.000      5 10.0.0.2 TCP_MISS/200 1 GET http://user:pw@HOST.example:8080/?a#b - HIER_DIRECT/- -
1795216005.000      5 10.0.0.2 TCP_MISS/200 1 GET http:// - HIER_DIRECT/- -
1795216006.000      5 10.0.0.2 TCP_MISS/200 1 GET : - HIER_DIRECT/- -
1795216007.000      5 ::ffff:10.0.0.2 TCP_MISS/999 1 GET %00 - HIER_DIRECT/- -
` + repeat(10, "1795216010.%03d 2147483647 10.0.0.3 TCP_MISS/200 999999999999999999 GET http://huge.example/ - HIER_DIRECT/- -"),
	"squid-common": `:: - - [21/Nov/2026:13:49:00 +0100] "-" 0 - NONE_NONE:HIER_NONE
10.0.0.3 - - [21/Nov/2026:13:49:02 +0100] "GET - HTTP/1.1" 000 0 -:-
10.0.0.3 - - [21/Nov/2026:13:49:03 +0100] "CONNECT [2001:db8::1]:443 HTTP/1.1" 200 1 TCP_TUNNEL:HIER_DIRECT
` + repeat(10, `10.0.0.3 - - [21/Nov/2026:13:49:01 +0100] "GET http://huge.example/%d HTTP/1.1" 200 999999999999999999 TCP_MISS:HIER_DIRECT`),
	"squid-combined": `:: - - [21/Nov/2026:13:49:00 +0100] "-" 0 - "-" "-" NONE_NONE:HIER_NONE
10.0.0.3 - - [21/Nov/2026:13:49:02 +0100] "GET - HTTP/1.1" 000 0 "" "" -:-
` + repeat(10, `10.0.0.3 - - [21/Nov/2026:13:49:01 +0100] "GET http://huge.example/%d HTTP/1.1" 200 999999999999999999 "-" "-" TCP_MISS:HIER_DIRECT`),
	"apache-common": `:: - - [21/Nov/2026:13:49:00 +0100] "-" 000 -
2001:db8::9 - "" [21/Nov/2026:13:49:01 +0100] "GET" 999 0
10.0.0.3 - - [21/Nov/2026:13:49:02 +0100] "GET //%%00?\x HTTP/1.1" 200 -
` + repeat(10, `10.0.0.3 - u%d [21/Nov/2026:13:49:03 +0100] "GET /huge HTTP/1.1" 200 999999999999999999`),
	"apache-combined": `:: - - [21/Nov/2026:13:49:00 +0100] "-" 000 - "-" "-"
2001:db8::9 - "" [21/Nov/2026:13:49:01 +0100] "GET" 999 0 "" ""
` + repeat(10, `10.0.0.3 - u%d [21/Nov/2026:13:49:03 +0100] "GET /huge HTTP/1.1" 200 999999999999999999 "-" "-"`),
	"apache-vhost": `-:80 :: - - [21/Nov/2026:13:49:00 +0100] "-" 000 - "-" "-"
[::1]:0 2001:db8::9 - - [21/Nov/2026:13:49:01 +0100] "GET" 999 0 "" ""
` + repeat(10, `huge.example:443 10.0.0.3 - u%d [21/Nov/2026:13:49:03 +0100] "GET /huge HTTP/1.1" 200 999999999999999999 "-" "-"`),
	"postfix": `Nov 21 10:00:00 mx postfix/qmgr[104]: 2B2B2C3D4E: from=<>, size=0, nrcpt=1 (queue active)
Nov 21 10:00:01 mx postfix/local[105]: 2B2B2C3D4E: to=<>, relay=local, delay=0, delays=0/0/0/0, dsn=2.0.0, status=sent (delivered)
Nov 21 10:00:01 mx postfix/smtp[106]: 2B2B2C3D4E: to=<x@>, orig_to=<@>, relay=none, delay=99999999, delays=0/0/0/0, dsn=5.0.0, status=bounced (x)
Nov 21 10:00:02 mx postfix/smtp[106]: 3C3C2C3D4E: to=<nobody@[::1]>, relay=none, delay=0, dsn=4.0.0, status=deferred (no message seen)
` + repeat(10, `Nov 21 09:00:0%[1]d mx postfix/qmgr[104]: 1A1B2C3D4%[1]d: from=<>, size=999999999999999999, nrcpt=1 (queue active)
Nov 21 09:00:0%[1]d mx postfix/local[105]: 1A1B2C3D4%[1]d: to=<>, relay=local, delay=0, delays=0/0/0/0, dsn=2.0.0, status=sent (delivered)
Nov 21 09:00:0%[1]d mx postfix/smtp[106]: 1A1B2C3D4%[1]d: to=<x@>, orig_to=<@>, relay=none, delay=99999999, delays=0/0/0/0, dsn=5.0.0, status=bounced (x)
Nov 21 09:00:0%[1]d mx postfix/qmgr[104]: 1A1B2C3D4%[1]d: removed`),
	"sendmail": `Nov 21 10:00:00 box sm-mta[1]: 5AL80001004000: from=<>, size=0, class=0, nrcpts=1, msgid=<>, relay=[::1]
Nov 21 10:00:01 box sm-mta[2]: 5AL80001004000: to=<>, delay=00:00:00, mailer=local, stat=Sent
Nov 21 10:00:02 box sm-mta[2]: 5AL80002004000: to=<@[::1]>, delay=00:00:00, mailer=esmtp, relay=[::1], stat=Deferred
` + repeat(10, `Nov 21 09:00:0%[1]d box sm-mta[1]: 5AL70001%[1]d04000: from=<>, size=999999999999999999, class=0, nrcpts=1, msgid=<>, relay=[::1]
Nov 21 09:00:0%[1]d box sm-mta[2]: 5AL70001%[1]d04000: to=<>, delay=00:00:00, mailer=local, stat=Sent
Nov 21 09:00:0%[1]d box sm-mta[2]: 5AL70001%[1]d04000: to=@, delay=99+00:00:00, mailer=, relay=, stat=`),
}

// TestEdgeRowsGoThrough: whatever ingest accepts, from any format, rollup
// and the archive take: each format's fixture and its edge lines go
// through ingest, rollup and report.Build without an error.
func TestEdgeRowsGoThrough(t *testing.T) {
	db := pgtest.New(t)
	loadLANs(t, db)
	ctx := context.Background()
	dir := t.TempDir()
	written := time.Date(2026, 11, 22, 12, 0, 0, 0, db.Loc)
	fixtures := map[string]string{
		"squid": "squid/access.log", "squid-common": "squid-common/access.log", "squid-combined": "squid-combined/access.log",
		"apache-common": "apache/common.log", "apache-combined": "apache/combined.log", "apache-vhost": "apache/vhost_combined.log",
		"postfix": "postfix/postfix.log", "sendmail": "sendmail/maillog",
	}
	days := map[string]bool{}
	for format, fixture := range fixtures {
		b, err := os.ReadFile(filepath.Join("../../fixtures", fixture))
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, format+".log")
		if err := os.WriteFile(path, append(b, edgeLines[format]...), 0o644); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(path, written, written)
		src := ingest.Source{Name: format, Format: format, Files: []string{path}}
		if strings.HasPrefix(format, "apache-co") {
			src.VHost = "www.kunde.example"
		}
		res, err := ingest.Run(ctx, db.Pool, src, ingest.Options{Loc: db.Loc, Log: pgtest.Log()})
		if err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		if res.Rows == 0 || len(res.Held) > 0 || len(res.FileErrors) > 0 {
			t.Fatalf("%s: %+v", format, res)
		}
		t.Logf("%s: %d lines, %d rows, %d rejects %v", format, res.Lines, res.Rows, res.Rejects, res.Reasons)
		for _, d := range res.Days {
			days[d] = true
		}
	}
	if _, err := rollup.Run(ctx, db.Pool, time.Time{}, time.Time{}, rollup.Options{Loc: db.Loc, Log: pgtest.Log()}); err != nil {
		t.Fatalf("rollup: %v", err)
	}
	out := t.TempDir()
	months := map[string]bool{}
	for d := range days {
		day, err := time.ParseInLocation("2006-01-02", d, db.Loc)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := report.Build(ctx, db.Pool, report.Day(day, db.Loc), report.Options{Loc: db.Loc, OutDir: out, Log: pgtest.Log()}); err != nil {
			t.Fatalf("report %s: %v", d, err)
		}
		m := report.Month(day, db.Loc)
		if !months[m.Name()] {
			months[m.Name()] = true
			if _, err := report.Build(ctx, db.Pool, m, report.Options{Loc: db.Loc, OutDir: out, Log: pgtest.Log()}); err != nil {
				t.Fatalf("report %s: %v", m.Name(), err)
			}
		}
	}
}
