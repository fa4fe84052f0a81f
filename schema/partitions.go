package schema

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// PartitionedTables are the tables split into one partition per local day.
var PartitionedTables = []string{"proxy", "http", "mta"}

// Day returns the local calendar day of t in loc, as local midnight.
func Day(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
}

// NextDay returns the local midnight after day (23 or 25 hours later on a
// DST change).
func NextDay(day time.Time) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, day.Location())
}

// PartitionName is the name of table's partition for a local day.
func PartitionName(table string, day time.Time) string {
	return table + "_p" + day.Format("20060102")
}

// Partitions creates daily partitions on demand and remembers which exist.
// It is safe for concurrent use.
type Partitions struct {
	db  PartitionDB
	loc *time.Location

	mu    sync.Mutex
	known map[string]bool // nil until loaded
}

// PartitionDB is where partitions are created: a pool (each in a short
// transaction of its own), or a transaction that also loads rows into
// them (each in a savepoint), since a partition created on another
// connection would wait for that transaction's lock on the parent.
type PartitionDB interface {
	Begin(ctx context.Context) (pgx.Tx, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// NewPartitions manages the daily partitions of the database in db, a
// *pgxpool.Pool or a pgx.Tx.
func NewPartitions(db PartitionDB, loc *time.Location) *Partitions {
	return &Partitions{db: db, loc: loc}
}

// Ensure makes sure table has a partition for the local day of t. On a
// pool it runs in its own short transaction: an empty partition is
// harmless if the load that asked for it fails, and the parent's lock is
// not held during a load. In a transaction it is a savepoint of it.
func (p *Partitions) Ensure(ctx context.Context, table string, t time.Time) error {
	day := Day(t, p.loc)
	name := PartitionName(table, day)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.known == nil {
		if err := p.load(ctx); err != nil {
			return err
		}
	}
	if p.known[name] {
		return nil
	}
	// Bounds are local midnights formatted by us, never log content.
	ddl := fmt.Sprintf(`CREATE TABLE IF NOT EXISTS %s PARTITION OF %s FOR VALUES FROM ('%s') TO ('%s')`,
		pgx.Identifier{name}.Sanitize(), pgx.Identifier{table}.Sanitize(),
		day.Format(time.RFC3339), NextDay(day).Format(time.RFC3339))
	err := pgx.BeginFunc(ctx, p.db, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, "ispacct:partition:"+table); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, ddl)
		return err
	})
	if err != nil {
		return fmt.Errorf("create partition %s: %w", name, err)
	}
	p.known[name] = true
	return nil
}

// Missing reports whether table lacks the partition of t's local day, so
// that Ensure would create it. A caller holding a load open on another
// connection must end it first: the new partition waits for its lock.
func (p *Partitions) Missing(ctx context.Context, table string, t time.Time) (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.known == nil {
		if err := p.load(ctx); err != nil {
			return false, err
		}
	}
	return !p.known[PartitionName(table, Day(t, p.loc))], nil
}

func (p *Partitions) load(ctx context.Context) error {
	rows, err := p.db.Query(ctx, `
		SELECT c.relname FROM pg_inherits i
		JOIN pg_class c ON c.oid = i.inhrelid
		JOIN pg_class parent ON parent.oid = i.inhparent
		WHERE parent.relname = ANY($1)`, PartitionedTables)
	if err != nil {
		return fmt.Errorf("list partitions: %w", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("list partitions: %w", err)
	}
	p.known = make(map[string]bool, len(names))
	for _, n := range names {
		p.known[n] = true
	}
	return nil
}
