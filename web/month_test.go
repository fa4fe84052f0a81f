package web_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// monthShape is a busy month of a small ISP in aggregates: about 2 M proxy
// lines a day spread over the LANs, each LAN visiting sitesPerLAN of
// sites hosts a day, and the web and mail servers' customers.
type monthShape struct {
	lans               []string
	days               int
	linesPerDay        int
	sites, sitesPerLAN int
	vhosts, mailboxes  int
}

func lanNames(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("kunde%02d", i+1)
	}
	return out
}

// fillMonth writes the aggregates of such a month from start straight
// into the tables the rollup fills (62 M log lines would take an hour to
// ingest; the page reads only these). Figures vary by LAN and day in a
// fixed pattern, so a page is the same every run. Rows of days that hold
// real aggregates already are left alone.
func fillMonth(t testing.TB, s *site, start time.Time, m monthShape) {
	t.Helper()
	ctx := context.Background()
	lo, hi := start.Format(time.DateOnly), start.AddDate(0, 0, m.days).Format(time.DateOnly)
	perLAN := m.linesPerDay / len(m.lans)
	stmts := []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO agg_proxy_lan (day, lan_name, requests, bytes, hit_requests, hit_bytes, miss_requests, miss_bytes,
			denied_requests, clients, bytes_2xx, bytes_3xx, bytes_4xx, bytes_5xx, bytes_other)
		SELECT d::date, n.name, r, r * 21000, r / 4, r * 3000, r - r / 4 - r / 100, r * 18000, r / 100, 5 + l % 40,
		       r * 19000, r * 1000, r * 800, r * 200, 0
		FROM generate_series($1::date, $2::date - 1, '1 day') d, unnest($3::text[]) WITH ORDINALITY n(name, l),
		     LATERAL (SELECT ($4 * (1 + (l * 53) % 10) / 5.0 * (0.5 + ((l * 37 + extract(day FROM d)::int * 11) % 100) / 100.0)
		                  * CASE WHEN extract(isodow FROM d) >= 6 THEN 0.6 ELSE 1 END)::bigint AS r) x
		ON CONFLICT DO NOTHING`, []any{lo, hi, m.lans, perLAN}},
		{`INSERT INTO agg_proxy_site (day, lan_name, host, requests, bytes)
		SELECT d::date, n.name, 'site' || ((l * 131 + s * 17) % $4) || '.example', ($5 / s)::bigint + 1, (($5 / s)::bigint + 1) * 21000
		FROM generate_series($1::date, $2::date - 1, '1 day') d, unnest($3::text[]) WITH ORDINALITY n(name, l),
		     generate_series(1, $6) s
		ON CONFLICT DO NOTHING`, []any{lo, hi, m.lans, m.sites, perLAN / 5, m.sitesPerLAN}},
		{`INSERT INTO agg_http_vhost (day, vhost, requests, bytes, clients, errors)
		SELECT d::date, 'www.kunde' || v || '.example', 20000 / v + 10, (20000 / v + 10) * 15000, 300 / v + 1, 20 / v
		FROM generate_series($1::date, $2::date - 1, '1 day') d, generate_series(1, $3) v
		ON CONFLICT DO NOTHING`, []any{lo, hi, m.vhosts}},
		{`INSERT INTO agg_mail_mailbox (day, direction, mailbox, domain, messages, recipients, bytes, sent, deferred, bounced, expired)
		SELECT d::date, dir, 'user' || b || '@kunde' || b % 20 || '.example', 'kunde' || b % 20 || '.example',
		       400 / b + 1, 400 / b + 1, (400 / b + 1) * 60000, 400 / b + 1, 0, 0, 0
		FROM generate_series($1::date, $2::date - 1, '1 day') d, generate_series(1, $3) b, unnest(ARRAY['in', 'out']) dir
		ON CONFLICT DO NOTHING`, []any{lo, hi, m.mailboxes}},
	}
	for _, st := range stmts {
		if _, err := s.db.Pool.Exec(ctx, st.sql, st.args...); err != nil {
			t.Fatalf("fill aggregates: %v", err)
		}
	}
	if _, err := s.db.Pool.Exec(ctx, `ANALYZE agg_proxy_lan, agg_proxy_site, agg_http_vhost, agg_mail_mailbox`); err != nil {
		t.Fatal(err)
	}
}

// busyMonth: 2 M proxy lines a day over 50 LANs, 2000 sites of which each
// LAN visits 200 a day, 100 virtual hosts, 300 mailboxes.
var busyMonth = monthShape{lans: lanNames(50), days: 30, linesPerDay: 2_000_000, sites: 2000, sitesPerLAN: 200, vhosts: 100, mailboxes: 300}

// TestTrafficBusyMonth: the Traffic page of a busy month stays under
// 100 KB and is quick; the time is logged (go test -v).
func TestTrafficBusyMonth(t *testing.T) {
	s := newSite(t)
	t0 := time.Now()
	fillMonth(t, s, time.Date(2026, 11, 1, 0, 0, 0, 0, s.cfg.Loc), busyMonth)
	var rows int64
	s.db.Pool.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM agg_proxy_lan) + (SELECT count(*) FROM agg_proxy_site)
		+ (SELECT count(*) FROM agg_http_vhost) + (SELECT count(*) FROM agg_mail_mailbox)`).Scan(&rows)
	t.Logf("aggregates of the month: %d rows, written in %s", rows, time.Since(t0).Round(time.Millisecond))
	c := s.client(t).loggedIn()
	for _, path := range []string{"/traffic?month=2026-11", "/traffic?day=2026-11-10", "/"} {
		c.get(path) // warm: plans cached, pages in shared buffers
		const n = 5
		t0 := time.Now()
		var a answer
		for range n {
			a = c.get(path)
		}
		per := time.Since(t0) / n
		if a.status != http.StatusOK || len(a.body) > 100<<10 {
			t.Errorf("%s: %d, %d bytes", path, a.status, len(a.body))
		}
		if path == "/traffic?month=2026-11" && (!strings.Contains(a.body, "kunde50") || !strings.Contains(a.body, "The 30 largest of 20")) {
			t.Errorf("the month does not show all LANs and the top sites")
		}
		req, _ := http.NewRequest(http.MethodGet, c.base+path, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		gz := c.do(req)
		t.Logf("%s: %d bytes (%d gzipped), %s per request", path, len(a.body), len(gz.body), per.Round(time.Millisecond))
	}
}
