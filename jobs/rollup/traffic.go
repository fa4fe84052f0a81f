package rollup

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Traffic is what the aggregates say of a range of local days: per LAN,
// per LAN and day, the top destination hosts, virtual hosts and mailboxes.
// The web page draws it; the figures are the workbook's.
type Traffic struct {
	LANs    []LANTraffic    `json:"lans"` // by bytes, the unassigned row (LAN "") last
	Daily   []DayLANTraffic `json:"daily"`
	Sites   []SiteTraffic   `json:"sites"`
	VHosts  []VHostTraffic  `json:"vhosts"`
	Mailbox []MailTraffic   `json:"mailboxes"`
	// How many there are in all; the lists hold the largest, up to the limit.
	SiteCount, VHostCount, MailboxCount int
}

// LANTraffic is one LAN's proxy traffic; LAN "" is the clients in no LAN.
type LANTraffic struct {
	LAN                                       string
	Requests, Bytes, Hits, Denied, MaxClients int64
}

// DayLANTraffic is one LAN's proxy traffic on one day.
type DayLANTraffic struct {
	Day             time.Time // local midnight, as a date
	LAN             string
	Requests, Bytes int64
}

// SiteTraffic is a destination host's proxy traffic, all LANs together.
type SiteTraffic struct {
	Host            string
	Requests, Bytes int64
}

// VHostTraffic is a virtual host's web traffic.
type VHostTraffic struct {
	VHost                               string
	Requests, Bytes, Errors, MaxClients int64
}

// MailTraffic is a mailbox's mail, in (delivered to it) and out (sent by it).
type MailTraffic struct {
	Mailbox                                    string
	MessagesIn, BytesIn, MessagesOut, BytesOut int64
}

// The statements read only the aggregates of [$1, $2) (dates); $3 bounds a
// list. Ties are broken by name in byte order, so a page is the same for
// the same data.
const (
	trafficLANSQL = `SELECT coalesce(lan_name, ''), sum(requests)::bigint, sum(bytes)::bigint, sum(hit_requests)::bigint,
       sum(denied_requests)::bigint, max(clients)
FROM agg_proxy_lan WHERE day >= $1::date AND day < $2::date
GROUP BY lan_name ORDER BY lan_name IS NULL, sum(bytes) DESC, lan_name COLLATE "C"`

	trafficDailySQL = `SELECT day, coalesce(lan_name, ''), requests, bytes
FROM agg_proxy_lan WHERE day >= $1::date AND day < $2::date ORDER BY day, lan_name COLLATE "C" NULLS LAST`

	trafficSiteSQL = `SELECT host, req, bytes, count(*) OVER ()::int FROM (
    SELECT host, sum(requests)::bigint AS req, sum(bytes)::bigint AS bytes
    FROM agg_proxy_site WHERE day >= $1::date AND day < $2::date GROUP BY host
) s ORDER BY bytes DESC, host COLLATE "C" LIMIT $3`

	trafficVHostSQL = `SELECT vhost, req, bytes, errors, max_clients, count(*) OVER ()::int FROM (
    SELECT vhost, sum(requests)::bigint AS req, sum(bytes)::bigint AS bytes, sum(errors)::bigint AS errors, max(clients) AS max_clients
    FROM agg_http_vhost WHERE day >= $1::date AND day < $2::date GROUP BY vhost
) v ORDER BY bytes DESC, vhost COLLATE "C" LIMIT $3`

	trafficMailSQL = `SELECT mailbox, m_in, b_in, m_out, b_out, count(*) OVER ()::int FROM (
    SELECT mailbox,
           coalesce(sum(messages) FILTER (WHERE direction = 'in'), 0)::bigint AS m_in,
           coalesce(sum(bytes) FILTER (WHERE direction = 'in'), 0)::bigint AS b_in,
           coalesce(sum(messages) FILTER (WHERE direction = 'out'), 0)::bigint AS m_out,
           coalesce(sum(bytes) FILTER (WHERE direction = 'out'), 0)::bigint AS b_out
    FROM agg_mail_mailbox WHERE day >= $1::date AND day < $2::date GROUP BY mailbox
) m ORDER BY b_in + b_out DESC, mailbox COLLATE "C" LIMIT $3`
)

// ReadTraffic reads the aggregates of the local days from start up to
// (not including) end; lists beyond the LANs hold at most limit entries.
func ReadTraffic(ctx context.Context, pool *pgxpool.Pool, start, end time.Time, limit int) (*Traffic, error) {
	lo, hi := start.Format(time.DateOnly), end.Format(time.DateOnly)
	tr := &Traffic{}
	var err error
	read := func(what, sql string, args []any, scan func(pgx.Rows) error) {
		if err != nil {
			return
		}
		var rows pgx.Rows
		if rows, err = pool.Query(ctx, sql, args...); err != nil {
			err = fmt.Errorf("traffic %s: %w", what, err)
			return
		}
		defer rows.Close()
		for rows.Next() {
			if err = scan(rows); err != nil {
				err = fmt.Errorf("traffic %s: %w", what, err)
				return
			}
		}
		if err = rows.Err(); err != nil {
			err = fmt.Errorf("traffic %s: %w", what, err)
		}
	}
	read("per LAN", trafficLANSQL, []any{lo, hi}, func(r pgx.Rows) error {
		var l LANTraffic
		err := r.Scan(&l.LAN, &l.Requests, &l.Bytes, &l.Hits, &l.Denied, &l.MaxClients)
		tr.LANs = append(tr.LANs, l)
		return err
	})
	read("per day", trafficDailySQL, []any{lo, hi}, func(r pgx.Rows) error {
		var d DayLANTraffic
		err := r.Scan(&d.Day, &d.LAN, &d.Requests, &d.Bytes)
		tr.Daily = append(tr.Daily, d)
		return err
	})
	read("per site", trafficSiteSQL, []any{lo, hi, limit}, func(r pgx.Rows) error {
		var s SiteTraffic
		err := r.Scan(&s.Host, &s.Requests, &s.Bytes, &tr.SiteCount)
		tr.Sites = append(tr.Sites, s)
		return err
	})
	read("per vhost", trafficVHostSQL, []any{lo, hi, limit}, func(r pgx.Rows) error {
		var v VHostTraffic
		err := r.Scan(&v.VHost, &v.Requests, &v.Bytes, &v.Errors, &v.MaxClients, &tr.VHostCount)
		tr.VHosts = append(tr.VHosts, v)
		return err
	})
	read("per mailbox", trafficMailSQL, []any{lo, hi, limit}, func(r pgx.Rows) error {
		var m MailTraffic
		err := r.Scan(&m.Mailbox, &m.MessagesIn, &m.BytesIn, &m.MessagesOut, &m.BytesOut, &tr.MailboxCount)
		tr.Mailbox = append(tr.Mailbox, m)
		return err
	})
	if err != nil {
		return nil, err
	}
	return tr, nil
}
