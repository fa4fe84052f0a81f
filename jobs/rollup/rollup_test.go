package rollup_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ispacct/ispacct/jobs/ingest"
	"github.com/ispacct/ispacct/jobs/landefs"
	"github.com/ispacct/ispacct/jobs/maintain"
	"github.com/ispacct/ispacct/jobs/rollup"
	"github.com/ispacct/ispacct/schema"
	"github.com/ispacct/ispacct/schema/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var codes = []string{"TCP_MISS/200", "TCP_HIT/200", "TCP_MEM_HIT/200", "TCP_REFRESH_UNMODIFIED/304", "TCP_REFRESH_MODIFIED/200",
	"TCP_DENIED/403", "TCP_MISS/404", "TCP_MISS/503", "NONE_NONE/000", "TCP_TUNNEL/200", "TCP_MISS/301"}

// threeDays writes a Squid log over three local days in Berlin, among
// them the 25-hour day of 2026-10-25, from clients in and out of LANs.
func threeDays(t *testing.T, dir string, n int, seed uint64) string {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 7))
	start := time.Date(2026, 10, 24, 0, 0, 0, 0, pgtest.Berlin).Unix()
	span := time.Date(2026, 10, 27, 0, 0, 0, 0, pgtest.Berlin).Unix() - start
	var b bytes.Buffer
	clients := []string{"10.4.24.77", "10.4.24.80", "10.0.2.15", "10.1.0.9", "10.0.5.20", "10.0.5.200", "192.168.77.5", "2001:db8::42"}
	hosts := []string{"http://example.com/a", "http://news.example:8080/x?y=1", "https://user@secure.example/", "cdn.example:443", "error:invalid-request"}
	for i := 0; i < n; i++ {
		ts := start + int64(i)*span/int64(n)
		code := codes[r.IntN(len(codes))]
		url := hosts[r.IntN(len(hosts))]
		method := "GET"
		if strings.HasSuffix(url, ":443") {
			method = "CONNECT"
		}
		fmt.Fprintf(&b, "%d.%03d %d %s %s %d %s %s - HIER_NONE/- -\n", ts, r.IntN(1000), r.IntN(500),
			clients[r.IntN(len(clients))], code, r.IntN(100000), method, url)
	}
	p := filepath.Join(dir, fmt.Sprintf("access-%d.log", seed))
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func setup(t *testing.T) *pgtest.DB {
	t.Helper()
	db := pgtest.New(t)
	if _, _, err := landefs.ImportFile(context.Background(), db.Pool, "../../fixtures/landefs.txt", false); err != nil {
		t.Fatal(err)
	}
	return db
}

func load(t *testing.T, db *pgtest.DB, files ...string) {
	t.Helper()
	_, err := ingest.Run(context.Background(), db.Pool, ingest.Source{Name: "squid", Format: "squid", Files: files},
		ingest.Options{Loc: db.Loc, Log: pgtest.Log()})
	if err != nil {
		t.Fatal(err)
	}
}

func roll(t *testing.T, db *pgtest.DB) *rollup.Result {
	t.Helper()
	res, err := rollup.Run(context.Background(), db.Pool, time.Time{}, time.Time{},
		rollup.Options{Loc: db.Loc, LocalDomains: []string{"example.com"}, Log: pgtest.Log()})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// sameRows fails unless two queries return the same multiset of rows.
func sameRows(t *testing.T, db *pgtest.DB, name, got, want string) {
	t.Helper()
	n := pgtest.Count(t, db.Pool, `SELECT count(*) FROM ((`+got+` EXCEPT ALL `+want+`) UNION ALL (`+want+` EXCEPT ALL `+got+`)) d`)
	if n != 0 {
		rows, _ := db.Pool.Query(context.Background(), got)
		var lines []string
		for rows.Next() {
			v, _ := rows.Values()
			lines = append(lines, fmt.Sprint(v))
		}
		t.Errorf("%s: %d rows differ from the expected; got:\n%s", name, n, strings.Join(lines, "\n"))
	}
}

// TestAggregatesEqualGroupBy: every aggregate table equals a plain GROUP BY
// over the raw rows, for every day of a multi-day fixture.
func TestAggregatesEqualGroupBy(t *testing.T) {
	db := setup(t)
	load(t, db, threeDays(t, t.TempDir(), 20000, 1))
	insertWebAndMail(t, db)
	res := roll(t, db)
	if len(res.Recomputed) != 7 { // proxy: 3 days; http and mta: 2 days each
		t.Fatalf("recomputed %v", res.Recomputed)
	}
	if n := pgtest.Count(t, db.Pool, `SELECT count(DISTINCT day) FROM agg_proxy_lan`); n != 3 {
		t.Fatalf("agg_proxy_lan has %d days, want 3", n)
	}
	// The same figures, written the plain way: local date of zeit, status
	// class by position.
	sameRows(t, db, "agg_proxy_lan",
		`SELECT day, lan_name, requests, bytes, hit_requests, hit_bytes, miss_requests, miss_bytes, denied_requests, clients,
		        bytes_2xx, bytes_3xx, bytes_4xx, bytes_5xx, bytes_other FROM agg_proxy_lan`,
		`SELECT (zeit AT TIME ZONE 'Europe/Berlin')::date, lan_name, count(*), sum(size),
		        sum(CASE WHEN position('HIT' IN status) > 0 OR status LIKE 'TCP_REFRESH_UNMODIFIED/%' THEN 1 ELSE 0 END),
		        sum(CASE WHEN position('HIT' IN status) > 0 OR status LIKE 'TCP_REFRESH_UNMODIFIED/%' THEN size ELSE 0 END),
		        sum(CASE WHEN position('MISS' IN status) > 0 OR status LIKE 'TCP_REFRESH_MODIFIED/%' THEN 1 ELSE 0 END),
		        sum(CASE WHEN position('MISS' IN status) > 0 OR status LIKE 'TCP_REFRESH_MODIFIED/%' THEN size ELSE 0 END),
		        sum(CASE WHEN position('DENIED' IN status) > 0 THEN 1 ELSE 0 END),
		        count(DISTINCT ip_client),
		        sum(CASE WHEN substr(status, position('/' IN status) + 1, 1) = '2' THEN size ELSE 0 END),
		        sum(CASE WHEN substr(status, position('/' IN status) + 1, 1) = '3' THEN size ELSE 0 END),
		        sum(CASE WHEN substr(status, position('/' IN status) + 1, 1) = '4' THEN size ELSE 0 END),
		        sum(CASE WHEN substr(status, position('/' IN status) + 1, 1) = '5' THEN size ELSE 0 END),
		        sum(CASE WHEN substr(status, position('/' IN status) + 1, 1) IN ('0', '1') THEN size ELSE 0 END)
		 FROM proxy GROUP BY 1, 2`)
	sameRows(t, db, "agg_proxy_site per LAN",
		`SELECT day, lan_name, sum(requests), sum(bytes) FROM agg_proxy_site GROUP BY 1, 2`,
		`SELECT day, lan_name, requests, bytes FROM agg_proxy_lan`)
	sameRows(t, db, "agg_proxy_site hosts",
		`SELECT DISTINCT host FROM agg_proxy_site`,
		`SELECT * FROM (VALUES ('example.com'), ('news.example'), ('secure.example'), ('cdn.example'), ('error')) v(h)`)
	sameRows(t, db, "agg_http_vhost",
		`SELECT day, vhost, requests, bytes, clients, errors FROM agg_http_vhost`,
		`SELECT (zeit AT TIME ZONE 'Europe/Berlin')::date, url, count(*), sum(size), count(DISTINCT ip), sum(CASE WHEN status >= 400 THEN 1 ELSE 0 END) FROM http GROUP BY 1, 2`)
	sameRows(t, db, "agg_http_user",
		`SELECT day, vhost, htuser, requests, bytes FROM agg_http_user`,
		`SELECT (zeit AT TIME ZONE 'Europe/Berlin')::date, url, htuser, count(*), sum(size) FROM http WHERE htuser IS NOT NULL GROUP BY 1, 2, 3`)
	// Mail against figures worked out by hand for insertWebAndMail.
	sameRows(t, db, "agg_mail_mailbox",
		`SELECT day::text, direction, mailbox, domain, messages, recipients, bytes, sent, deferred, bounced, expired FROM agg_mail_mailbox`,
		`SELECT * FROM (VALUES
			('2026-10-25', 'out', 'anna@example.com', 'example.com', 2::bigint, 3::bigint, 3000::bigint, 3::bigint, 1::bigint, 0::bigint, 0::bigint),
			('2026-10-25', 'in',  'bob@example.com',  'example.com', 1, 1, 2000, 1, 0, 0, 0),
			('2026-10-25', 'in',  'anna@example.com', 'example.com', 1, 1, 700, 0, 0, 1, 0),
			('2026-10-26', 'out', 'bob@example.com',  'example.com', 1, 1, 900, 0, 0, 0, 1)) v`)
	sameRows(t, db, "agg_mail_domain",
		`SELECT day::text, direction, domain, messages, recipients, bytes, sent, deferred, bounced, expired FROM agg_mail_domain`,
		`SELECT * FROM (VALUES
			('2026-10-25', 'out', 'example.com', 2::bigint, 3::bigint, 3000::bigint, 3::bigint, 1::bigint, 0::bigint, 0::bigint),
			('2026-10-25', 'in',  'example.com', 2, 2, 2700, 1, 0, 1, 0),
			('2026-10-26', 'out', 'example.com', 1, 1, 900, 0, 0, 0, 1)) v`)
}

// insertWebAndMail puts a few http and mta rows in directly.
func insertWebAndMail(t *testing.T, db *pgtest.DB) {
	t.Helper()
	ctx := context.Background()
	parts := schema.NewPartitions(db.Pool, db.Loc)
	at := func(day, hm string) time.Time {
		ts, _ := time.ParseInLocation("2006-01-02 15:04", day+" "+hm, db.Loc)
		for _, tb := range []string{"http", "mta"} {
			if err := parts.Ensure(ctx, tb, ts); err != nil {
				t.Fatal(err)
			}
		}
		return ts
	}
	for i, h := range []struct {
		ip, vhost, user string
		size            int64
		status          int16
		day, hm         string
	}{
		{"10.4.24.77", "www.example.com", "", 100, 200, "2026-10-25", "01:00"},
		{"10.4.24.77", "www.example.com", "anna", 200, 200, "2026-10-25", "23:59"},
		{"10.0.2.15", "www.example.com", "anna", 300, 404, "2026-10-25", "12:00"},
		{"10.0.2.15", "shop.example.com", "", 400, 500, "2026-10-26", "00:00"},
	} {
		var user *string
		if h.user != "" {
			user = &h.user
		}
		_, err := db.Pool.Exec(ctx, `INSERT INTO http (ip, url, zeit, size, datei, htuser, status, src_line) VALUES ($1, $2, $3, $4, '/', $5, $6, $7)`,
			h.ip, h.vhost, at(h.day, h.hm), h.size, user, h.status, i)
		if err != nil {
			t.Fatal(err)
		}
	}
	// anna sends one message to two outside recipients (one deferred, then
	// sent) and one to bob, who gets it; a message from outside to anna
	// bounces; bob's message the next day expires.
	for _, m := range []struct {
		qid, msgid, from, to, mailer, status string
		size                                 int64
		day, hm                              string
	}{
		{"A1", "<m1@x>", "anna@example.com", "x@outside.org", "smtp", "deferred", 1000, "2026-10-25", "08:00"},
		{"A1", "<m1@x>", "anna@example.com", "x@outside.org", "smtp", "sent", 1000, "2026-10-25", "09:00"},
		{"A1", "<m1@x>", "anna@example.com", "y@outside.org", "smtp", "sent", 1000, "2026-10-25", "08:00"},
		{"B2", "<m2@x>", "anna@example.com", "bob@example.com", "local", "sent", 2000, "2026-10-25", "10:00"},
		{"C3", "<m3@x>", "other@outside.org", "anna@example.com", "local", "bounced", 700, "2026-10-25", "11:00"},
		{"D4", "<m4@x>", "bob@example.com", "z@outside.org", "smtp", "expired", 900, "2026-10-26", "10:00"},
	} {
		_, err := db.Pool.Exec(ctx, `INSERT INTO mta (queue_id, msgid, m_from, m_to, m_mailer, m_status, m_size, zeit) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			m.qid, m.msgid, m.from, m.to, m.mailer, m.status, m.size, at(m.day, m.hm))
		if err != nil {
			t.Fatal(err)
		}
	}
	// Ingest marks days dirty; rows inserted by hand do that here.
	db.Pool.Exec(ctx, `INSERT INTO ingest_days (tbl, day) VALUES ('http', '2026-10-25'), ('http', '2026-10-26'), ('mta', '2026-10-25'), ('mta', '2026-10-26') ON CONFLICT DO NOTHING`)
}

// TestPerLANTotalsIndependent: bytes per LAN and day from the aggregates
// equal what a second, independent reading of the raw log computes.
func TestPerLANTotalsIndependent(t *testing.T) {
	db := setup(t)
	log := threeDays(t, t.TempDir(), 15000, 2)
	load(t, db, log)
	roll(t, db)
	lans := map[netip.Prefix]string{}
	f, _ := os.Open("../../fixtures/landefs.txt")
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		if fs := strings.Fields(line); len(fs) == 2 {
			lans[netip.MustParsePrefix(fs[1])] = fs[0]
		}
	}
	f.Close()
	want := map[string]int64{}
	data, _ := os.ReadFile(log)
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		fs := strings.Fields(line)
		sec, _ := strconv.ParseFloat(fs[0], 64)
		day := time.Unix(int64(sec), 0).In(pgtest.Berlin).Format("2006-01-02")
		ip := netip.MustParseAddr(fs[2])
		lan, best := "unassigned", -1
		for p, name := range lans { // brute force longest prefix
			if p.Contains(ip) && p.Bits() > best {
				lan, best = name, p.Bits()
			}
		}
		size, _ := strconv.ParseInt(fs[4], 10, 64)
		want[day+" "+lan] += size
	}
	rows, err := db.Pool.Query(context.Background(), `SELECT day::text, coalesce(lan_name, 'unassigned'), bytes FROM agg_proxy_lan`)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for rows.Next() {
		var d, l string
		var b int64
		rows.Scan(&d, &l, &b)
		got[d+" "+l] = b
	}
	if len(got) != len(want) {
		t.Fatalf("%d (day, LAN) rows, want %d", len(got), len(want))
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %d bytes, independent count %d", k, got[k], v)
		}
	}
}

func dump(t *testing.T, db *pgtest.DB) string {
	t.Helper()
	var out strings.Builder
	for _, tb := range maintain.AggregateTables {
		var s *string
		err := db.Pool.QueryRow(context.Background(), `SELECT string_agg(x::text, E'\n' ORDER BY x::text) FROM `+tb+` x`).Scan(&s)
		if err != nil {
			t.Fatal(err)
		}
		if s != nil {
			out.WriteString(tb + "\n" + *s + "\n")
		}
	}
	return out.String()
}

// TestRerunAndLateFile: a second rollup changes nothing, and a late file
// for an old day leaves the aggregates equal to a clean rebuild.
func TestRerunAndLateFile(t *testing.T) {
	dir := t.TempDir()
	first, late := threeDays(t, dir, 6000, 3), threeDays(t, dir, 3000, 4)
	db := setup(t)
	load(t, db, first)
	roll(t, db)
	before := dump(t, db)
	if res := roll(t, db); len(res.Recomputed) != 0 {
		t.Fatalf("second rollup recomputed %v", res.Recomputed)
	}
	if _, err := rollup.Run(context.Background(), db.Pool, time.Date(2026, 10, 24, 0, 0, 0, 0, db.Loc), time.Date(2026, 10, 26, 0, 0, 0, 0, db.Loc),
		rollup.Options{Loc: db.Loc, LocalDomains: []string{"example.com"}, Log: pgtest.Log()}); err != nil {
		t.Fatal(err)
	}
	if dump(t, db) != before {
		t.Fatal("recomputing a range changed the aggregates")
	}
	load(t, db, late)
	if res := roll(t, db); len(res.Recomputed) != 3 {
		t.Fatalf("after the late file recomputed %v, want its 3 days", res.Recomputed)
	}
	clean := setup(t)
	load(t, clean, first, late)
	roll(t, clean)
	if got, want := dump(t, db), dump(t, clean); got != want {
		t.Fatal("aggregates after a late file differ from a clean rebuild")
	}
}

// TestRetention: the dry run lists the partitions past raw retention; the
// real run drops them, keeps their aggregates, and a later rollup or late
// row cannot wipe them.
func TestRetention(t *testing.T) {
	db := setup(t)
	ctx := context.Background()
	log := threeDays(t, t.TempDir(), 3000, 5)
	load(t, db, log)
	roll(t, db)
	aggs := dump(t, db)
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, db.Loc) // 2026-10-26 is 30 days back
	plan, err := maintain.PlanRetention(ctx, db.Pool, maintain.Retention{RawDays: 30, AggregateDays: 400}, now, db.Loc)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(plan.Partitions) != "[proxy_p20261024 proxy_p20261025]" || len(plan.AggregateRows) != 0 {
		t.Fatalf("plan %+v", plan)
	}
	if n := pgtest.Count(t, db.Pool, `SELECT count(*) FROM proxy`); n != 3000 {
		t.Fatalf("planning removed rows: %d left", n)
	}
	if err := maintain.Apply(ctx, db.Pool, plan, pgtest.Log()); err != nil {
		t.Fatal(err)
	}
	if n := pgtest.Count(t, db.Pool, `SELECT count(*) FROM pg_class WHERE relname IN ('proxy_p20261024', 'proxy_p20261025')`); n != 0 {
		t.Fatal("partitions still there")
	}
	if n := pgtest.Count(t, db.Pool, `SELECT count(*) FROM proxy WHERE zeit < '2026-10-26 00:00+01'`); n != 0 {
		t.Fatalf("%d old raw rows left", n)
	}
	if dump(t, db) != aggs {
		t.Fatal("dropping raw partitions changed the aggregates")
	}
	if _, err := rollup.Run(ctx, db.Pool, time.Date(2026, 10, 24, 0, 0, 0, 0, db.Loc), time.Date(2026, 10, 26, 0, 0, 0, 0, db.Loc),
		rollup.Options{Loc: db.Loc, Log: pgtest.Log()}); err != nil {
		t.Fatal(err)
	}
	if dump(t, db) != aggs {
		t.Fatal("a rollup over retired days wiped their aggregates")
	}
	late := filepath.Join(t.TempDir(), "late.log")
	os.WriteFile(late, []byte(fmt.Sprintf("%d.000 1 10.4.24.77 TCP_MISS/200 1 GET http://late/ - HIER_NONE/- -\n",
		time.Date(2026, 10, 24, 12, 0, 0, 0, db.Loc).Unix())), 0o644)
	res, err := ingest.Run(ctx, db.Pool, ingest.Source{Name: "s", Format: "squid", Files: []string{late}}, ingest.Options{Loc: db.Loc, Log: pgtest.Log()})
	if err != nil || res.Rejects != 1 || res.Reasons["day past raw retention"] != 1 {
		t.Fatalf("late row for a retired day: %+v %v", res, err)
	}
	// Aggregate retention deletes by day.
	plan, _ = maintain.PlanRetention(ctx, db.Pool, maintain.Retention{RawDays: 30, AggregateDays: 31}, now, db.Loc)
	if plan.AggregateBefore != "2026-10-25" || plan.AggregateRows["agg_proxy_lan"] == 0 {
		t.Fatalf("aggregate plan %+v", plan)
	}
	maintain.Apply(ctx, db.Pool, plan, pgtest.Log())
	if n := pgtest.Count(t, db.Pool, `SELECT count(*) FROM agg_proxy_lan WHERE day < '2026-10-25'`); n != 0 {
		t.Fatal("old aggregates left")
	}
	if n := pgtest.Count(t, db.Pool, `SELECT count(*) FROM agg_proxy_lan WHERE day >= '2026-10-25'`); n == 0 {
		t.Fatal("newer aggregates deleted")
	}
}
