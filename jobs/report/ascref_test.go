package report_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/ispacct/ispacct/schema"
	"github.com/ispacct/ispacct/schema/pgtest"
)

// refASC are the queries whose COPY output the .asc files were before the
// rows were read once for both the .asc files and the raw sheets: the
// server's own text output, the reference the Go writer must equal.
var refASC = []struct{ name, query string }{
	{"proxy.asc", `SELECT lan_name, ip_client, url, ` + refZeit + `, size, status, methode
		FROM proxy WHERE zeit >= %[1]s AND zeit < %[2]s ORDER BY zeit, ip_client, url COLLATE "C", status COLLATE "C", methode COLLATE "C", size, lan_name COLLATE "C"`},
	{"http.asc", `SELECT ip, url, ` + refZeit + `, size, datei, htuser
		FROM http WHERE zeit >= %[1]s AND zeit < %[2]s ORDER BY zeit, ip, url COLLATE "C", datei COLLATE "C", size, htuser COLLATE "C"`},
	{"mail.asc", `SELECT msgid, m_to, m_from, m_mailer, m_size, m_remote_id, m_relay, m_status, ` + refZeit + `
		FROM mta WHERE zeit >= %[1]s AND zeit < %[2]s ORDER BY zeit, msgid COLLATE "C", m_to COLLATE "C", m_from COLLATE "C", m_mailer COLLATE "C", m_size,
		m_remote_id COLLATE "C", m_relay COLLATE "C", m_status COLLATE "C"`},
}

const refZeit = `regexp_replace(to_char(zeit, 'YYYY-MM-DD"T"HH24:MI:SS.US'), '\.?0+$', '') || to_char(zeit, 'TZH:TZM')`

// TestASCIsServersCOPY: on rows made to be awkward (every ASCII byte in
// text, NULL beside empty text, IPv6 in every form PostgreSQL prints its
// own way, networks, fractions of a second, the hours around a change of
// clocks, rows in no particular order), every .asc file of the archive
// equals, byte for byte, PostgreSQL's COPY text output of the same rows.
func TestASCIsServersCOPY(t *testing.T) {
	for _, zone := range []string{"Europe/Berlin", "America/St_Johns"} {
		t.Run(zone, func(t *testing.T) {
			loc, err := time.LoadLocation(zone)
			if err != nil {
				t.Fatal(err)
			}
			db := pgtest.NewIn(t, loc)
			ctx := context.Background()
			r := rand.New(rand.NewPCG(1, 2))
			day := time.Date(2026, 10, 25, 0, 0, 0, 0, loc) // 25 hours in Berlin
			if zone == "America/St_Johns" {
				day = time.Date(2026, 11, 1, 0, 0, 0, 0, loc)
			}
			parts := schema.NewPartitions(db.Pool, loc)
			for _, tb := range schema.PartitionedTables {
				if err := parts.Ensure(ctx, tb, day); err != nil {
					t.Fatal(err)
				}
			}
			var ascii strings.Builder
			for c := 1; c < 128; c++ {
				ascii.WriteByte(byte(c))
			}
			texts := []any{nil, "", " ", "a", "\\", "|", "\\N", "x|y\\z", ascii.String(), " lead", "trail\t", "üñí€😀", "_x0041_", "<&>"}
			addrs := []string{"10.1.2.3", "0.0.0.0", "255.255.255.255", "::", "::1", "::2", "::1.2.3.4", "::ffff:1.2.3.4", "::ffff:0.0.0.0",
				"::0.0.1.0", "2001:db8::", "2001:db8:0:0:1::1", "2001:db8:0:1:1:1:1:1", "fe80::1:0:0:1", "1:0:0:1:0:0:0:1", "10.0.0.0/8", "2001:db8::/32", "::ffff:1.2.3.4/120"}
			fracs := []int{0, 1, 10, 100000, 120000, 123456, 999999, 500}
			sizes := []any{int64(0), int64(1), int64(-1), int64(1) << 40, nil}
			pick := func(vs []any) any { return vs[r.IntN(len(vs))] }
			for i := 0; i < 3000; i++ {
				// Across the day, its first and last microseconds included.
				at := day.Add(time.Duration(r.Int64N(int64(25 * time.Hour)))).Truncate(time.Second)
				switch i {
				case 0:
					at = day
				case 1:
					at = day.AddDate(0, 0, 1).Add(-time.Microsecond)
				}
				if i > 1 {
					at = at.Add(time.Duration(fracs[r.IntN(len(fracs))]) * time.Microsecond)
				}
				if !at.Before(day.AddDate(0, 0, 1)) {
					continue
				}
				addr := addrs[r.IntN(len(addrs))]
				size := pick(sizes)
				if size == nil {
					size = int64(7)
				}
				if _, err := db.Pool.Exec(ctx, `INSERT INTO proxy (lan_name, ip_client, url, zeit, size, status, methode) VALUES ($1, $2::inet, $3, $4, $5, $6, $7)`,
					pick(texts), addr, pick(texts), at, size, pick(texts), pick(texts)); err != nil {
					t.Fatal(err)
				}
				var ip any = addr
				if r.IntN(5) == 0 {
					ip = nil
				}
				if _, err := db.Pool.Exec(ctx, `INSERT INTO http (ip, url, zeit, size, datei, htuser) VALUES ($1::inet, $2, $3, $4, $5, $6)`,
					ip, pick(texts), at, size, pick(texts), pick(texts)); err != nil {
					t.Fatal(err)
				}
				if _, err := db.Pool.Exec(ctx, `INSERT INTO mta (msgid, m_to, m_from, m_mailer, m_size, m_remote_id, m_relay, m_status, zeit)
					VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
					pick(texts), pick(texts), pick(texts), pick(texts), pick(sizes), pick(texts), pick(texts), pick(texts), at); err != nil {
					t.Fatal(err)
				}
			}
			res := build(t, db, day.Format("2006-01-02"), t.TempDir())
			conn, err := db.Pool.Acquire(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Release()
			lit := func(t time.Time) string { return "'" + t.Format(time.RFC3339) + "'::timestamptz" }
			for _, ref := range refASC {
				var want bytes.Buffer
				sql := fmt.Sprintf("COPY ("+ref.query+") TO STDOUT (FORMAT text, DELIMITER '|', NULL '')", lit(day), lit(day.AddDate(0, 0, 1)))
				if _, err := conn.Conn().PgConn().CopyTo(ctx, &want, sql); err != nil {
					t.Fatal(err)
				}
				got := entry(t, res.Path, ref.name)
				_, got, _ = bytes.Cut(got, []byte("\n"))
				if want.Len() < 1000 {
					t.Fatalf("%s: only %d bytes of reference", ref.name, want.Len())
				}
				if !bytes.Equal(got, want.Bytes()) {
					g, w := strings.Split(string(got), "\n"), strings.Split(want.String(), "\n")
					for i := range min(len(g), len(w)) {
						if g[i] != w[i] {
							t.Fatalf("%s line %d:\n archive %q\n server  %q", ref.name, i+2, g[i], w[i])
						}
					}
					t.Fatalf("%s: %d lines, the server's COPY %d", ref.name, len(g), len(w))
				}
			}
		})
	}
}
