// Package maintain applies the retention the administrator configured.
// Raw rows go a whole day partition at a time (detached, then dropped;
// never DELETEd row by row); aggregates and rejects are deleted by day.
// Client addresses of raw rows are pseudonymised after a limit of their
// own (pseudonymise.go). Nothing is deleted or changed unless a limit is
// set: legal retention rules differ by country, so the default keeps
// everything.
package maintain

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ispacct/ispacct/config"
	"github.com/ispacct/ispacct/jobs/ingest"
	"github.com/ispacct/ispacct/lock"
	"github.com/ispacct/ispacct/schema"
)

// Retention says how many days of each kind of data to keep; 0 keeps all.
type Retention struct {
	RawDays       int
	AggregateDays int
	// PseudonymiseDays: client addresses of raw rows older than this are
	// cut to their network; 0 keeps them whole.
	PseudonymiseDays int
}

// FromConfig takes the limits from the configuration.
func FromConfig(c config.Retention) Retention {
	return Retention{RawDays: c.RawDays, AggregateDays: c.AggregateDays, PseudonymiseDays: c.PseudonymiseDays}
}

// None says that no limit is set: nothing is removed or changed.
func (r Retention) None() bool {
	return r.RawDays == 0 && r.AggregateDays == 0 && r.PseudonymiseDays == 0
}

// Plan is what a retention run removes.
type Plan struct {
	RawBefore       string           `json:"raw_before,omitempty"`       // partitions of days before this go
	Partitions      []string         `json:"partitions"`                 // raw partitions to drop
	AggregateBefore string           `json:"aggregate_before,omitempty"` // aggregate rows of days before this go
	AggregateRows   map[string]int64 `json:"aggregate_rows"`             // rows per aggregate table
	Rejects         int64            `json:"rejects"`                    // reject rows (raw log lines) older than raw retention
	// PseudonymiseBefore: client addresses of days before this are cut to
	// their network, in the partitions listed with their rows to change;
	// rejected lines recorded before it are deleted.
	PseudonymiseBefore  string           `json:"pseudonymise_before,omitempty"`
	Pseudonymise        map[string]int64 `json:"pseudonymise,omitempty"`
	PseudonymiseRejects int64            `json:"pseudonymise_rejects,omitempty"`

	pseudoAt time.Time // the database's clock when planned
	// pseudoCut and pseudoLoc are what the plan was made with: apply
	// plans again once no ingest runs.
	pseudoCut time.Time
	pseudoLoc *time.Location
}

// AggregateTables are the tables keyed by day that retention trims.
var AggregateTables = []string{"agg_proxy_lan", "agg_proxy_site", "agg_http_vhost", "agg_http_user", "agg_mail_mailbox", "agg_mail_domain"}

// PlanRetention finds what the limits remove as of now.
func PlanRetention(ctx context.Context, pool *pgxpool.Pool, r Retention, now time.Time, loc *time.Location) (*Plan, error) {
	p := &Plan{Partitions: []string{}, AggregateRows: map[string]int64{}}
	today := schema.Day(now, loc)
	if r.RawDays > 0 {
		cut := today.AddDate(0, 0, -r.RawDays)
		p.RawBefore = cut.Format("2006-01-02")
		names, err := listPartitions(ctx, pool, schema.PartitionedTables)
		if err != nil {
			return nil, fmt.Errorf("retention: %w", err)
		}
		for _, n := range names {
			_, suffix, ok := strings.Cut(n, "_p")
			d, err := time.ParseInLocation("20060102", suffix, loc)
			if ok && err == nil && d.Before(cut) {
				p.Partitions = append(p.Partitions, n)
			}
		}
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM rejects WHERE recorded_at < $1`, cut).Scan(&p.Rejects); err != nil {
			return nil, fmt.Errorf("retention: count rejects: %w", err)
		}
	}
	if r.PseudonymiseDays > 0 {
		if err := planPseudonymise(ctx, pool, p, today.AddDate(0, 0, -r.PseudonymiseDays), loc, true); err != nil {
			return nil, fmt.Errorf("retention: %w", err)
		}
	}
	if r.AggregateDays > 0 {
		cut := today.AddDate(0, 0, -r.AggregateDays)
		p.AggregateBefore = cut.Format("2006-01-02")
		for _, t := range AggregateTables {
			var n int64
			if err := pool.QueryRow(ctx, `SELECT count(*) FROM `+pgx.Identifier{t}.Sanitize()+` WHERE day < $1`, p.AggregateBefore).Scan(&n); err != nil {
				return nil, fmt.Errorf("retention: count %s: %w", t, err)
			}
			if n > 0 {
				p.AggregateRows[t] = n
			}
		}
	}
	return p, nil
}

// Apply carries out a plan: each partition is detached and dropped in its
// own transaction, client addresses pseudonymised, then old aggregate and
// reject rows are deleted.
func Apply(ctx context.Context, pool *pgxpool.Pool, p *Plan, log *slog.Logger) error {
	for _, name := range p.Partitions {
		parent, _, _ := strings.Cut(name, "_p")
		// An ingest of the same table may be loading into this very day:
		// wait for it, as ingest waits for us.
		l, err := lock.Acquire(ctx, pool, ingest.LockName(parent), true)
		if err != nil {
			return fmt.Errorf("retention: drop partition %s: %w", name, err)
		}
		err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `ALTER TABLE `+pgx.Identifier{parent}.Sanitize()+` DETACH PARTITION `+pgx.Identifier{name}.Sanitize()); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `DROP TABLE `+pgx.Identifier{name}.Sanitize()); err != nil {
				return err
			}
			_, suffix, _ := strings.Cut(name, "_p")
			_, err := tx.Exec(ctx, `INSERT INTO retired_days (tbl, day) VALUES ($1, to_date($2, 'YYYYMMDD')) ON CONFLICT DO NOTHING`, parent, suffix)
			return err
		})
		l.Release()
		if err != nil {
			return fmt.Errorf("retention: drop partition %s: %w", name, err)
		}
		log.Info("partition dropped", "partition", name)
	}
	if p.PseudonymiseBefore != "" {
		if err := applyPseudonymise(ctx, pool, p, log); err != nil {
			return fmt.Errorf("retention: %w", err)
		}
	}
	if p.RawBefore != "" {
		if _, err := pool.Exec(ctx, `DELETE FROM rejects WHERE recorded_at < $1::date`, p.RawBefore); err != nil {
			return fmt.Errorf("retention: delete old rejects: %w", err)
		}
		if _, err := pool.Exec(ctx, `DELETE FROM ingest_days WHERE day < $1::date AND NOT dirty`, p.RawBefore); err != nil {
			return fmt.Errorf("retention: forget old days: %w", err)
		}
	}
	if p.AggregateBefore != "" {
		for _, t := range AggregateTables {
			tag, err := pool.Exec(ctx, `DELETE FROM `+pgx.Identifier{t}.Sanitize()+` WHERE day < $1`, p.AggregateBefore)
			if err != nil {
				return fmt.Errorf("retention: delete from %s: %w", t, err)
			}
			if tag.RowsAffected() > 0 {
				log.Info("aggregates deleted", "table", t, "rows", tag.RowsAffected(), "before", p.AggregateBefore)
			}
		}
	}
	return nil
}
