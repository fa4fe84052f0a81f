package rollup_test

import (
	"context"
	"testing"
	"time"

	"github.com/ispacct/ispacct/jobs/rollup"
	"github.com/ispacct/ispacct/schema/pgtest"
)

// TestReadTraffic: the web page's figures for a range of days are the raw
// rows' — per LAN, per LAN and day, per site, vhost and mailbox — and the
// lists are cut at the limit with the full count kept.
func TestReadTraffic(t *testing.T) {
	db := setup(t)
	load(t, db, threeDays(t, t.TempDir(), 5000, 3))
	insertWebAndMail(t, db)
	roll(t, db)
	ctx := context.Background()
	start, end := time.Date(2026, 10, 25, 0, 0, 0, 0, pgtest.Berlin), time.Date(2026, 10, 27, 0, 0, 0, 0, pgtest.Berlin)
	tr, err := rollup.ReadTraffic(ctx, db.Pool, start, end, 3)
	if err != nil {
		t.Fatal(err)
	}
	var reqs, bytes int64
	for i, l := range tr.LANs {
		reqs, bytes = reqs+l.Requests, bytes+l.Bytes
		if l.LAN == "" && i != len(tr.LANs)-1 {
			t.Errorf("the unassigned row is not last: %+v", tr.LANs)
		}
		if i > 0 && tr.LANs[i-1].LAN != "" && l.LAN != "" && tr.LANs[i-1].Bytes < l.Bytes {
			t.Errorf("LANs not by bytes: %+v", tr.LANs)
		}
	}
	const raw = `SELECT count(*), sum(size)::bigint FROM proxy WHERE zeit >= $1 AND zeit < $2`
	var wantReqs, wantBytes int64
	if err := db.Pool.QueryRow(ctx, raw, start, end).Scan(&wantReqs, &wantBytes); err != nil {
		t.Fatal(err)
	}
	if reqs != wantReqs || bytes != wantBytes {
		t.Errorf("per LAN: %d requests, %d bytes; the raw rows: %d, %d", reqs, bytes, wantReqs, wantBytes)
	}
	var daily int64
	days := map[string]bool{}
	for _, d := range tr.Daily {
		daily += d.Bytes
		days[d.Day.Format(time.DateOnly)] = true
	}
	if daily != wantBytes || len(days) != 2 {
		t.Errorf("per day: %d bytes over %d days, want %d over 2 (the 25-hour day included)", daily, len(days), wantBytes)
	}
	if len(tr.Sites) != 3 || tr.SiteCount != 5 || tr.Sites[0].Bytes < tr.Sites[1].Bytes {
		t.Errorf("sites: %d of %d, %+v", len(tr.Sites), tr.SiteCount, tr.Sites)
	}
	if len(tr.VHosts) == 0 || tr.VHostCount != len(tr.VHosts) {
		t.Errorf("vhosts: %+v (%d)", tr.VHosts, tr.VHostCount)
	}
	var in, out int64
	for _, m := range tr.Mailbox {
		in, out = in+m.BytesIn, out+m.BytesOut
	}
	// insertWebAndMail's mail, worked out by hand: in 2700, out 3000 + 900.
	if in != 2700 || out != 3900 || tr.MailboxCount != 2 {
		t.Errorf("mail: in %d, out %d bytes over %d mailboxes; want 2700, 3900, 2", in, out, tr.MailboxCount)
	}
}
