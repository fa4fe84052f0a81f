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

// FileRejects is what one log file had rejected in a time range.
type FileRejects struct {
	FileID  int64
	Path    string
	Source  string
	Rejects int64
	Last    time.Time
	// Sample holds its first rejects, in line order.
	Sample []SampledReject
}

// SampledReject is one line of a file's sample: the raw bytes as read,
// perhaps cut, and their whole length.
type SampledReject struct {
	Line       int64
	Offset     int64
	Reason     string
	Raw        []byte // as read: anything, invalid UTF-8 and NUL included; perhaps cut
	Bytes      int64  // the raw line's whole length
	RecordedAt time.Time
}

const (
	rejectFilesSQL = `SELECT f.id, f.path, f.source, count(*), max(r.recorded_at)
FROM rejects r JOIN ingest_files f ON f.id = r.file_id
WHERE r.recorded_at >= $1 AND r.recorded_at < $2
GROUP BY f.id ORDER BY max(r.recorded_at) DESC, f.id`

	// The first $4 rejects of each file, by line; raw cut at $5 bytes.
	rejectSampleSQL = `SELECT file_id, line, byte_offset, reason, substring(raw FROM 1 FOR $5), octet_length(raw), recorded_at FROM (
    SELECT r.*, row_number() OVER (PARTITION BY file_id ORDER BY line) AS n
    FROM rejects r WHERE r.file_id = ANY ($3) AND r.recorded_at >= $1 AND r.recorded_at < $2
) s WHERE n <= $4 ORDER BY file_id, line`
)

// RecentRejects lists the files with rejects recorded in [from, to), the
// latest first, each with its first perFile rejects and at most rawBytes
// of each raw line.
func RecentRejects(ctx context.Context, pool *pgxpool.Pool, from, to time.Time, perFile, rawBytes int) ([]FileRejects, error) {
	rows, err := pool.Query(ctx, rejectFilesSQL, from, to)
	if err != nil {
		return nil, fmt.Errorf("list rejects: %w", err)
	}
	files, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (FileRejects, error) {
		var f FileRejects
		err := r.Scan(&f.FileID, &f.Path, &f.Source, &f.Rejects, &f.Last)
		return f, err
	})
	if err != nil {
		return nil, fmt.Errorf("list rejects: %w", err)
	}
	if len(files) == 0 || perFile <= 0 {
		return files, nil
	}
	ids := make([]int64, len(files))
	at := map[int64]int{}
	for i, f := range files {
		ids[i], at[f.FileID] = f.FileID, i
	}
	rows, err = pool.Query(ctx, rejectSampleSQL, from, to, ids, perFile, rawBytes)
	if err != nil {
		return nil, fmt.Errorf("list rejects: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var r SampledReject
		if err := rows.Scan(&id, &r.Line, &r.Offset, &r.Reason, &r.Raw, &r.Bytes, &r.RecordedAt); err != nil {
			return nil, fmt.Errorf("list rejects: %w", err)
		}
		files[at[id]].Sample = append(files[at[id]].Sample, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list rejects: %w", err)
	}
	return files, nil
}
