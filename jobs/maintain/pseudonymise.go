package maintain

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ispacct/ispacct/jobs/ingest"
	"github.com/ispacct/ispacct/lock"
)

// Pseudonymisation replaces the client address of raw rows older than
// retention.pseudonymise_days by its network: the /24 of an IPv4
// address, the /48 of an IPv6 one (10.4.24.77 becomes 10.4.24.0/24). The
// LAN name stays, so the per-LAN figures do not change; the aggregates,
// built from the rows when they were new, and archives already written
// are left as they are. Rejected log lines of that age, which hold the
// whole line, are deleted.

// addressColumns are the raw tables' client address columns.
var addressColumns = map[string]string{"proxy": "ip_client", "http": "ip"}

// networkLen is the prefix kept of the addresses of the column given as
// the second argument of the query's format.
const networkLen = `CASE family(%[2]s) WHEN 4 THEN 24 ELSE 48 END`

// Meta keys: the day before which all is done, and when that was (rows
// ingested since into older days are done at the next run).
const (
	metaPseudoBefore = "pseudonymised_before"
	metaPseudoAt     = "pseudonymised_at"
)

// planPseudonymise lists in p.Pseudonymise the partitions that may hold
// whole client addresses older than cut. count counts them, for the plan
// shown (0 leaves a partition out); without it each candidate is listed
// with -1 and left to the UPDATE, which reads it anyway.
func planPseudonymise(ctx context.Context, pool *pgxpool.Pool, p *Plan, cut time.Time, loc *time.Location, count bool) error {
	p.PseudonymiseBefore = cut.Format("2006-01-02")
	p.pseudoCut, p.pseudoLoc = cut, loc
	p.Pseudonymise = map[string]int64{}
	var doneBefore, doneAt *string
	var now time.Time
	err := pool.QueryRow(ctx, `SELECT
		(SELECT value FROM ispacct_meta WHERE key = $1), (SELECT value FROM ispacct_meta WHERE key = $2), now()`,
		metaPseudoBefore, metaPseudoAt).Scan(&doneBefore, &doneAt, &now)
	if err != nil {
		return fmt.Errorf("pseudonymise: read progress: %w", err)
	}
	p.pseudoAt = now
	// Days touched by an ingest since the last run, before its mark.
	touched := map[string]bool{}
	if doneAt != nil {
		rows, err := pool.Query(ctx, `SELECT tbl || '_p' || to_char(day, 'YYYYMMDD') FROM ingest_days
			WHERE touched_at > $1::timestamptz AND day < $2::date`, *doneAt, p.PseudonymiseBefore)
		if err != nil {
			return fmt.Errorf("pseudonymise: list late days: %w", err)
		}
		names, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return fmt.Errorf("pseudonymise: list late days: %w", err)
		}
		for _, n := range names {
			touched[n] = true
		}
	}
	dropped := map[string]bool{}
	for _, n := range p.Partitions {
		dropped[n] = true
	}
	tables := make([]string, 0, len(addressColumns))
	for t := range addressColumns {
		tables = append(tables, t)
	}
	parts, err := listPartitions(ctx, pool, tables)
	if err != nil {
		return fmt.Errorf("pseudonymise: %w", err)
	}
	for _, name := range parts {
		parent, suffix, _ := strings.Cut(name, "_p")
		day, err := time.ParseInLocation("20060102", suffix, loc)
		if err != nil || !day.Before(cut) || dropped[name] {
			continue
		}
		if doneBefore != nil && day.Format("2006-01-02") < *doneBefore && !touched[name] {
			continue // done at an earlier run, and nothing came in since
		}
		if !count {
			p.Pseudonymise[name] = -1
			continue
		}
		col := addressColumns[parent]
		var n int64
		q := fmt.Sprintf(`SELECT count(*) FROM %[1]s WHERE masklen(%[2]s) > `+networkLen, pgx.Identifier{name}.Sanitize(), col)
		if err := pool.QueryRow(ctx, q).Scan(&n); err != nil {
			return fmt.Errorf("pseudonymise: count %s: %w", name, err)
		}
		if n > 0 {
			p.Pseudonymise[name] = n
		}
	}
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM rejects WHERE recorded_at < $1`, cut).Scan(&p.PseudonymiseRejects); err != nil {
		return fmt.Errorf("pseudonymise: count rejects: %w", err)
	}
	return nil
}

// listPartitions names the day partitions of the given tables, sorted.
func listPartitions(ctx context.Context, pool *pgxpool.Pool, tables []string) ([]string, error) {
	rows, err := pool.Query(ctx, `
		SELECT c.relname FROM pg_inherits i
		JOIN pg_class c ON c.oid = i.inhrelid
		JOIN pg_class parent ON parent.oid = i.inhparent
		WHERE parent.relname = ANY($1)`, tables)
	if err != nil {
		return nil, fmt.Errorf("list partitions: %w", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("list partitions: %w", err)
	}
	sort.Strings(names)
	return names, nil
}

// applyPseudonymise rewrites the planned partitions' addresses, each in
// its own transaction, deletes old rejected lines and records how far it
// got.
func applyPseudonymise(ctx context.Context, pool *pgxpool.Pool, p *Plan, log *slog.Logger) error {
	// No ingest of these tables may be under way: a batch that began
	// before the plan and committed after it would carry a day stamp older
	// than the progress recorded below, and its addresses would be skipped
	// for good. With the ingests waited out, the plan is made again: it
	// sees every committed row, and every later batch is stamped after it.
	// It does not count: each candidate's UPDATE reads it once.
	for _, t := range []string{"http", "proxy"} {
		l, err := lock.Acquire(ctx, pool, ingest.LockName(t), true)
		if err != nil {
			return fmt.Errorf("pseudonymise: %w", err)
		}
		defer l.Release()
	}
	if err := planPseudonymise(ctx, pool, p, p.pseudoCut, p.pseudoLoc, false); err != nil {
		return err
	}
	names := make([]string, 0, len(p.Pseudonymise))
	for n := range p.Pseudonymise {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		parent, _, _ := strings.Cut(name, "_p")
		col := addressColumns[parent]
		q := fmt.Sprintf(`UPDATE %[1]s SET %[2]s = network(set_masklen(%[2]s, `+networkLen+`))::inet
			WHERE masklen(%[2]s) > `+networkLen, pgx.Identifier{name}.Sanitize(), col)
		tag, err := pool.Exec(ctx, q)
		if err != nil {
			return fmt.Errorf("pseudonymise %s: %w", name, err)
		}
		// The plan then says what was done, as the counted one would.
		if n := tag.RowsAffected(); n > 0 {
			p.Pseudonymise[name] = n
			log.Info("client addresses pseudonymised", "partition", name, "rows", n)
		} else {
			delete(p.Pseudonymise, name)
		}
	}
	if tag, err := pool.Exec(ctx, `DELETE FROM rejects WHERE recorded_at < $1::date`, p.PseudonymiseBefore); err != nil {
		return fmt.Errorf("pseudonymise: delete old rejected lines: %w", err)
	} else if tag.RowsAffected() > 0 {
		log.Info("rejected lines deleted", "rows", tag.RowsAffected(), "before", p.PseudonymiseBefore)
	}
	_, err := pool.Exec(ctx, `INSERT INTO ispacct_meta (key, value) VALUES ($1, $2), ($3, $4)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
		metaPseudoBefore, p.PseudonymiseBefore, metaPseudoAt, p.pseudoAt.Format(time.RFC3339Nano))
	if err != nil {
		return fmt.Errorf("pseudonymise: record progress: %w", err)
	}
	return nil
}
