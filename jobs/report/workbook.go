package report

import (
	"context"
	"fmt"
	"os"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/xuri/excelize/v2"

	"github.com/ispacct/ispacct/archive"
	"github.com/ispacct/ispacct/atomicfile"
)

// mib is a mebibyte: the workbook shows traffic in MiB.
const mib = 1 << 20

// Unassigned names the clients in no LAN in the workbook.
const Unassigned = "unassigned"

// spoolDir makes the build's own temporary folder, removed however the
// build ends (an error, a cancelled context); what a killed run left
// there is removed here by the next one.
func spoolDir(opt Options) (string, func(), error) {
	if opt.TmpDir == "" {
		// No folder of ispacct's own: a fresh one of the system's, not a
		// name another user could make first.
		dir, err := os.MkdirTemp("", "ispacct-spool-*")
		if err != nil {
			return "", nil, fmt.Errorf("temporary folder: %w", err)
		}
		return dir, func() { os.RemoveAll(dir) }, nil
	}
	return atomicfile.RunDir(opt.TmpDir, opt.Perm)
}

// querier builds the workbook's summary sheets from the aggregates.
type querier struct {
	ctx        context.Context
	conn       *pgxpool.Conn
	lo, hi     string    // the period's days, [lo, hi)
	start, end time.Time // the period's instants
	month      bool
	// rawClients counts clients from the raw rows: over a month a client
	// seen on two days is one client. A day's aggregates count them
	// exactly already, unless rows came in since its rollup.
	rawClients bool
}

// summaries adds the summary sheets, in their order, querying on conn.
func (q querier) summaries(conn *pgxpool.Conn, wb *archive.Workbook) error {
	q.conn = conn
	steps := []func(*archive.Workbook) error{q.summary}
	if q.month {
		steps = append(steps, q.daily)
	}
	steps = append(steps, q.sites, q.web, q.mail)
	for _, step := range steps {
		if err := step(wb); err != nil {
			return err
		}
	}
	return nil
}

func (q *querier) rows(sql string, args ...any) ([][]any, error) {
	rows, err := q.conn.Query(q.ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][]any
	for rows.Next() {
		v, err := rows.Values()
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Summary: one row per customer LAN, then the unassigned clients, then the
// total. Clients are counted over the whole period from the raw rows while
// they exist (a client seen on two days is one client); after retention
// the largest daily count stands in.
const summarySQL = `
WITH a AS (
    SELECT lan_name, sum(requests)::bigint AS requests, sum(bytes)::bigint AS bytes, sum(hit_requests)::bigint AS hits,
           sum(denied_requests)::bigint AS denied, max(clients) AS max_clients
    FROM agg_proxy_lan WHERE day >= $1::date AND day < $2::date GROUP BY lan_name
), c AS (
    -- count(DISTINCT) would sort every row; the distinct pairs are few.
    SELECT lan_name, count(*) AS clients FROM (SELECT DISTINCT lan_name, ip_client FROM proxy
    WHERE $5 AND zeit >= $3 AND zeit < $4) d GROUP BY lan_name
)
SELECT a.lan_name, a.requests, a.bytes, a.hits, a.denied, coalesce(c.clients, a.max_clients)
FROM a LEFT JOIN c ON c.lan_name IS NOT DISTINCT FROM a.lan_name
ORDER BY a.lan_name IS NULL, a.bytes DESC, a.lan_name COLLATE "C"`

func (q *querier) summary(wb *archive.Workbook) error {
	rows, err := q.rows(summarySQL, q.lo, q.hi, q.start, q.end, q.rawClients)
	if err != nil {
		return fmt.Errorf("summary: %w", err)
	}
	var total [5]int64
	for _, r := range rows {
		for i := range total {
			total[i] += r[i+1].(int64)
		}
	}
	out := make([][]any, 0, len(rows))
	// The exact byte count stands beside the MiB, so that a bill never
	// depends on rounding.
	row := func(name string, req, bytes, hits, denied, clients int64) []any {
		return []any{name, req, float64(bytes) / mib, bytes, ratio(bytes, total[1]), ratio(hits, req), denied, clients}
	}
	for _, r := range rows {
		name := Unassigned
		if r[0] != nil {
			name = r[0].(string)
		}
		out = append(out, row(name, r[1].(int64), r[2].(int64), r[3].(int64), r[4].(int64), r[5].(int64)))
	}
	cols := []archive.Column{{Title: "LAN", Width: 24}, {Title: "Requests", Width: 12, Kind: archive.Count},
		{Title: "MiB", Width: 12, Kind: archive.MiB}, {Title: "Bytes", Width: 16, Kind: archive.Count},
		{Title: "Share of traffic", Width: 16, Kind: archive.Percent},
		{Title: "Cache hit ratio", Width: 15, Kind: archive.Percent}, {Title: "Denied requests", Width: 16, Kind: archive.Count},
		{Title: "Clients", Width: 10, Kind: archive.Count}}
	return wb.Sheet("Summary", cols, out, row("Total", total[0], total[1], total[2], total[3], total[4]),
		&archive.ChartSpec{Type: excelize.Bar, Title: "MiB per LAN", Cat: 0, Values: []int{2}, Rows: len(rows)})
}

func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// daily: LAN × day traffic in MiB, LANs by traffic, with a line chart of
// the largest ones.
func (q *querier) daily(wb *archive.Workbook) error {
	rows, err := q.rows(`SELECT day, lan_name, bytes FROM agg_proxy_lan WHERE day >= $1::date AND day < $2::date`, q.lo, q.hi)
	if err != nil {
		return fmt.Errorf("daily: %w", err)
	}
	totals := map[string]int64{}
	cells := map[string]map[string]int64{}
	for _, r := range rows {
		day := r[0].(time.Time).Format("2006-01-02")
		lan := Unassigned
		if r[1] != nil {
			lan = r[1].(string)
		}
		totals[lan] += r[2].(int64)
		if cells[day] == nil {
			cells[day] = map[string]int64{}
		}
		cells[day][lan] += r[2].(int64)
	}
	lans := sortedByTotal(totals)
	cols := []archive.Column{{Title: "Day", Width: 12, Kind: archive.Date}}
	for _, l := range lans {
		cols = append(cols, archive.Column{Title: l, Width: max(10, float64(len(l))+2), Kind: archive.MiB})
	}
	var out [][]any
	for d := q.start; d.Before(q.end); d = time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, d.Location()) {
		r := []any{d}
		for _, l := range lans {
			r = append(r, float64(cells[d.Format("2006-01-02")][l])/mib)
		}
		out = append(out, r)
	}
	var series []int
	for i := range lans {
		if i < 12 {
			series = append(series, i+1)
		}
	}
	var chart *archive.ChartSpec
	if len(series) > 0 {
		chart = &archive.ChartSpec{Type: excelize.Line, Title: "MiB per day", Cat: 0, Values: series, Rows: len(out)}
	}
	return wb.Sheet("Daily", cols, out, nil, chart)
}

// sites: the 25 busiest destination hosts of each LAN.
func (q *querier) sites(wb *archive.Workbook) error {
	rows, err := q.rows(`
		SELECT coalesce(lan_name, $3), host, req, bytes FROM (
		    SELECT lan_name, host, sum(requests)::bigint AS req, sum(bytes)::bigint AS bytes,
		           row_number() OVER (PARTITION BY lan_name ORDER BY sum(bytes) DESC, host COLLATE "C") AS rank
		    FROM agg_proxy_site WHERE day >= $1::date AND day < $2::date GROUP BY lan_name, host) s
		WHERE rank <= 25 ORDER BY lan_name IS NULL, lan_name COLLATE "C", rank`, q.lo, q.hi, Unassigned)
	if err != nil {
		return fmt.Errorf("top sites: %w", err)
	}
	for _, r := range rows {
		r[3] = float64(r[3].(int64)) / mib
	}
	return wb.Sheet("Top sites", []archive.Column{{Title: "LAN", Width: 24}, {Title: "Host", Width: 40},
		{Title: "Requests", Width: 12, Kind: archive.Count}, {Title: "MiB", Width: 12, Kind: archive.MiB}}, rows, nil, nil)
}

func (q *querier) web(wb *archive.Workbook) error {
	rows, err := q.rows(`
		WITH a AS (SELECT vhost, sum(requests)::bigint AS req, sum(bytes)::bigint AS bytes, sum(errors)::bigint AS errors, max(clients) AS max_clients
		           FROM agg_http_vhost WHERE day >= $1::date AND day < $2::date GROUP BY vhost),
		     c AS (SELECT url, count(ip) AS clients FROM (SELECT DISTINCT url, ip FROM http WHERE $5 AND zeit >= $3 AND zeit < $4) d GROUP BY url)
		SELECT a.vhost, a.req, a.bytes, a.errors, coalesce(c.clients, a.max_clients)
		FROM a LEFT JOIN c ON c.url = a.vhost ORDER BY a.bytes DESC, a.vhost COLLATE "C"`, q.lo, q.hi, q.start, q.end, q.rawClients)
	if err != nil {
		return fmt.Errorf("web: %w", err)
	}
	for _, r := range rows {
		r[2] = float64(r[2].(int64)) / mib
	}
	err = wb.Sheet("Web", []archive.Column{{Title: "Virtual host", Width: 32}, {Title: "Requests", Width: 12, Kind: archive.Count},
		{Title: "MiB", Width: 12, Kind: archive.MiB}, {Title: "Errors", Width: 10, Kind: archive.Count},
		{Title: "Clients", Width: 10, Kind: archive.Count}}, rows, nil, nil)
	if err != nil {
		return err
	}
	users, err := q.rows(`SELECT vhost, htuser, sum(requests)::bigint, sum(bytes)::bigint FROM agg_http_user
		WHERE day >= $1::date AND day < $2::date GROUP BY vhost, htuser ORDER BY vhost COLLATE "C", sum(bytes) DESC, htuser COLLATE "C"`, q.lo, q.hi)
	if err != nil {
		return fmt.Errorf("web users: %w", err)
	}
	for _, r := range users {
		r[3] = float64(r[3].(int64)) / mib
	}
	return wb.Sheet("Web users", []archive.Column{{Title: "Virtual host", Width: 32}, {Title: "User", Width: 20},
		{Title: "Requests", Width: 12, Kind: archive.Count}, {Title: "MiB", Width: 12, Kind: archive.MiB}}, users, nil, nil)
}

// mailSQL pivots in and out per mailbox (or domain): sent = messages out,
// received = messages in.
const mailSQL = `
SELECT %[1]s,
       coalesce(sum(messages) FILTER (WHERE direction = 'out'), 0)::bigint,
       coalesce(sum(messages) FILTER (WHERE direction = 'in'), 0)::bigint,
       coalesce(sum(bytes) FILTER (WHERE direction = 'out'), 0)::bigint,
       coalesce(sum(bytes) FILTER (WHERE direction = 'in'), 0)::bigint,
       sum(recipients)::bigint, sum(deferred)::bigint, sum(bounced)::bigint, sum(expired)::bigint
FROM %[2]s WHERE day >= $1::date AND day < $2::date
GROUP BY %[1]s ORDER BY sum(bytes) DESC, %[1]s`

func (q *querier) mail(wb *archive.Workbook) error {
	cols := []archive.Column{{Title: "Sent", Width: 10, Kind: archive.Count}, {Title: "Received", Width: 10, Kind: archive.Count},
		{Title: "MiB sent", Width: 12, Kind: archive.MiB}, {Title: "MiB received", Width: 12, Kind: archive.MiB},
		{Title: "Recipients", Width: 11, Kind: archive.Count}, {Title: "Deferred", Width: 10, Kind: archive.Count},
		{Title: "Bounced", Width: 10, Kind: archive.Count}, {Title: "Expired", Width: 10, Kind: archive.Count}}
	for _, s := range []struct {
		sheet, keys, table string
		head               []archive.Column
	}{
		{"Mailboxes", `mailbox COLLATE "C", domain COLLATE "C"`, "agg_mail_mailbox", []archive.Column{{Title: "Mailbox", Width: 32}, {Title: "Domain", Width: 24}}},
		{"Mail domains", `domain COLLATE "C"`, "agg_mail_domain", []archive.Column{{Title: "Domain", Width: 24}}},
	} {
		rows, err := q.rows(fmt.Sprintf(mailSQL, s.keys, pgx.Identifier{s.table}.Sanitize()), q.lo, q.hi)
		if err != nil {
			return fmt.Errorf("%s: %w", s.sheet, err)
		}
		n := len(s.head)
		for _, r := range rows {
			r[n+2] = float64(r[n+2].(int64)) / mib
			r[n+3] = float64(r[n+3].(int64)) / mib
			// Said in words for the reader: the null sender of bounces and
			// notices, and a sender without a domain ("root").
			if r[0] == "<>" {
				r[0] = "<> (bounces, notices)"
			}
			if r[n-1] == "" {
				r[n-1] = "(none)"
			}
		}
		if err := wb.Sheet(s.sheet, append(append([]archive.Column{}, s.head...), cols...), rows, nil, nil); err != nil {
			return err
		}
	}
	return nil
}

func sortedByTotal(totals map[string]int64) []string {
	var lans []string
	for l := range totals {
		lans = append(lans, l)
	}
	// By traffic, the unassigned clients last.
	sort.Slice(lans, func(i, j int) bool {
		a, b := lans[i], lans[j]
		if (a == Unassigned) != (b == Unassigned) {
			return b == Unassigned
		}
		if totals[a] != totals[b] {
			return totals[a] > totals[b]
		}
		return a < b
	})
	return lans
}
