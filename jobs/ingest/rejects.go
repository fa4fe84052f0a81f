package ingest

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Reject is a log line ingest could not load, with where it was and why.
type Reject struct {
	Path       string    `json:"path"`
	Source     string    `json:"source"`
	Line       int64     `json:"line"`
	Offset     int64     `json:"offset"`
	Reason     string    `json:"reason"`
	Raw        string    `json:"raw"`
	RecordedAt time.Time `json:"recorded_at"`
}

// rejectsSQL lists rejects by when they were recorded; a NULL limit (0
// given) is no limit.
const rejectsSQL = `
SELECT f.path, f.source, r.line, r.byte_offset, r.reason, r.raw, r.recorded_at
FROM rejects r JOIN ingest_files f ON f.id = r.file_id
WHERE r.recorded_at >= $1 AND r.recorded_at < $2
ORDER BY r.recorded_at, f.id, r.line
LIMIT nullif($3::int, 0)`

// Rejects returns the rejects recorded in [from, to), oldest first, at
// most limit of them (0: all).
func Rejects(ctx context.Context, pool *pgxpool.Pool, from, to time.Time, limit int) ([]Reject, error) {
	rows, err := pool.Query(ctx, rejectsSQL, from, to, limit)
	if err != nil {
		return nil, fmt.Errorf("list rejects: %w", err)
	}
	list, err := pgx.AppendRows([]Reject(nil), rows, func(r pgx.CollectableRow) (Reject, error) {
		var x Reject
		var raw []byte
		err := r.Scan(&x.Path, &x.Source, &x.Line, &x.Offset, &x.Reason, &raw, &x.RecordedAt)
		x.Raw = string(raw)
		return x, err
	})
	if err != nil {
		return nil, fmt.Errorf("list rejects: %w", err)
	}
	return list, nil
}
