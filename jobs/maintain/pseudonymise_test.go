package maintain_test

import (
	"bytes"
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/ispacct/ispacct/jobs/maintain"
	"github.com/ispacct/ispacct/schema"
	"github.com/ispacct/ispacct/schema/pgtest"
)

// TestPseudonymise: client addresses of days older than the limit are cut
// to their /24 (IPv6 /48), the LAN and everything else stay, newer days
// keep theirs; planning changes nothing; a second run finds nothing to
// do, until rows are ingested late into an old day.
func TestPseudonymise(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	loc := db.Loc
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, loc)
	old := time.Date(2026, 11, 20, 10, 0, 0, 0, loc)    // 10 days before
	recent := time.Date(2026, 11, 28, 10, 0, 0, 0, loc) // 2 days before
	parts := schema.NewPartitions(db.Pool, loc)
	for _, tbl := range []string{"proxy", "http"} {
		for _, day := range []time.Time{old, recent} {
			if err := parts.Ensure(ctx, tbl, day); err != nil {
				t.Fatal(err)
			}
		}
	}
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := db.Pool.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	addProxy := func(ip string, at time.Time) {
		exec(`INSERT INTO proxy (lan_name, ip_client, url, zeit, size) VALUES ('kunde-a', $1, 'http://x.example/', $2, 100)`, ip, at)
	}
	addProxy("10.4.24.77", old)
	addProxy("2001:db8:1:2::42", old)
	addProxy("10.4.24.78", recent)
	exec(`INSERT INTO http (ip, url, zeit, size) VALUES ('198.51.100.7', 'www.kunde.example', $1, 10)`, old)
	exec(`INSERT INTO ingest_files (tbl, fingerprint, source, format, path) VALUES ('proxy', '\x00', 's', 'squid', '/x')`)
	exec(`INSERT INTO rejects (file_id, line, byte_offset, reason, raw, recorded_at)
		SELECT id, 1, 0, 'bad timestamp', '10.4.24.77 garbage', $1 FROM ingest_files`, old)

	addresses := func() map[string]string {
		rows, err := db.Pool.Query(ctx, `SELECT to_char(zeit, 'DD') || ' ' || host(ip_client) || '/' || masklen(ip_client), lan_name FROM proxy
			UNION ALL SELECT 'http ' || host(ip) || '/' || masklen(ip), url FROM http`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		got := map[string]string{}
		for rows.Next() {
			var a, lan string
			rows.Scan(&a, &lan)
			got[a] = lan
		}
		return got
	}
	before := addresses()

	r := maintain.Retention{PseudonymiseDays: 7}
	plan, err := maintain.PlanRetention(ctx, db.Pool, r, now, loc)
	if err != nil {
		t.Fatal(err)
	}
	if plan.PseudonymiseBefore != "2026-11-23" || plan.Pseudonymise["proxy_p20261120"] != 2 || plan.Pseudonymise["http_p20261120"] != 1 ||
		len(plan.Pseudonymise) != 2 || plan.PseudonymiseRejects != 1 {
		t.Fatalf("plan: before %s, rows %v, rejects %d", plan.PseudonymiseBefore, plan.Pseudonymise, plan.PseudonymiseRejects)
	}
	if got := addresses(); len(got) != len(before) || got["20 10.4.24.77/32"] == "" {
		t.Fatalf("planning changed rows: %v", got)
	}

	var logs bytes.Buffer
	if err := maintain.Apply(ctx, db.Pool, plan, slog.New(slog.NewTextHandler(&logs, nil))); err != nil {
		t.Fatal(err)
	}
	// The applied plan (a chain's report of its retention step) says what
	// was rewritten: counted by the UPDATEs, partitions without any left out.
	if len(plan.Pseudonymise) != 2 || plan.Pseudonymise["proxy_p20261120"] != 2 || plan.Pseudonymise["http_p20261120"] != 1 {
		t.Errorf("applied plan: %v", plan.Pseudonymise)
	}
	want := map[string]string{
		"20 10.4.24.0/24":      "kunde-a",
		"20 2001:db8:1::/48":   "kunde-a",
		"28 10.4.24.78/32":     "kunde-a",
		"http 198.51.100.0/24": "www.kunde.example",
	}
	if got := addresses(); !equal(got, want) {
		t.Fatalf("after pseudonymising:\n got  %v\n want %v", got, want)
	}
	var rejects int
	db.Pool.QueryRow(ctx, `SELECT count(*) FROM rejects`).Scan(&rejects)
	if rejects != 0 {
		t.Errorf("%d old rejected lines kept, want none", rejects)
	}

	again, err := maintain.PlanRetention(ctx, db.Pool, r, now, loc)
	if err != nil || len(again.Pseudonymise) != 0 {
		t.Fatalf("second plan: %v %v, want nothing to do", again.Pseudonymise, err)
	}

	// A late ingest into the old day is pseudonymised at the next run.
	addProxy("10.4.24.99", old.Add(time.Hour))
	exec(`INSERT INTO ingest_days (tbl, day) VALUES ('proxy', '2026-11-20')
		ON CONFLICT (tbl, day) DO UPDATE SET touched_at = now(), dirty = true`)
	late, err := maintain.PlanRetention(ctx, db.Pool, r, now, loc)
	if err != nil || late.Pseudonymise["proxy_p20261120"] != 1 || len(late.Pseudonymise) != 1 {
		t.Fatalf("plan after a late ingest: %v %v, want the one new row", late.Pseudonymise, err)
	}
	if err := maintain.Apply(ctx, db.Pool, late, pgtest.Log()); err != nil {
		t.Fatal(err)
	}
	if got := addresses(); got["20 10.4.24.0/24"] == "" || len(got) != 4 {
		t.Fatalf("after the late run: %v", got)
	}
}

func equal(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
