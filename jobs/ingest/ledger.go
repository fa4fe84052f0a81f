package ingest

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// fileEntry is a file's row in the ingest ledger: how far it was read.
type fileEntry struct {
	id     int64
	offset int64
	lines  int64
	// The last line read: where it starts and its SHA-256 (nil for files
	// read before this was recorded).
	checkOffset int64
	checkSum    []byte
}

// ledgerEntry finds the file's ledger row, or creates it at offset 0. An
// empty row is harmless if the load that follows fails; while nothing of
// the file is loaded, the source and format reading it now are recorded.
func ledgerEntry(ctx context.Context, db dbtx, tbl string, fp, head []byte, source, format, path string) (fileEntry, error) {
	var e fileEntry
	err := db.QueryRow(ctx, `
		INSERT INTO ingest_files (tbl, fingerprint, source, format, path, head_sha256) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (tbl, fingerprint) DO UPDATE SET path = excluded.path,
			source = CASE WHEN ingest_files.byte_offset = 0 THEN excluded.source ELSE ingest_files.source END,
			format = CASE WHEN ingest_files.byte_offset = 0 THEN excluded.format ELSE ingest_files.format END
		RETURNING id, byte_offset, lines, coalesce(check_offset, 0), check_sha256`, tbl, fp, source, format, path, head).
		Scan(&e.id, &e.offset, &e.lines, &e.checkOffset, &e.checkSum)
	if err != nil {
		return e, fmt.Errorf("ingest ledger: %w", err)
	}
	return e, nil
}

const advanceLedger = `
	UPDATE ingest_files SET byte_offset = $2, lines = $3, rows = rows + $4, rejects = rejects + $5,
		check_offset = CASE WHEN $7::bytea IS NULL THEN check_offset ELSE $6 END,
		check_sha256 = coalesce($7::bytea, check_sha256), updated_at = now()
	WHERE id = $1`

const touchDays = `
	INSERT INTO ingest_days (tbl, day) SELECT $1, d FROM unnest($2::date[]) AS d
	ON CONFLICT (tbl, day) DO UPDATE SET touched_at = now(), dirty = true`

// retiredDays lists the days of tbl whose raw partition retention dropped.
func retiredDays(ctx context.Context, pool *pgxpool.Pool, tbl string) (map[string]bool, error) {
	rows, err := pool.Query(ctx, `SELECT to_char(day, 'YYYY-MM-DD') FROM retired_days WHERE tbl = $1`, tbl)
	if err != nil {
		return nil, fmt.Errorf("read retired days: %w", err)
	}
	days, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("read retired days: %w", err)
	}
	m := make(map[string]bool, len(days))
	for _, d := range days {
		m[d] = true
	}
	return m, nil
}

const saveState = `
	INSERT INTO mail_state (source, state) VALUES ($1, $2::jsonb)
	ON CONFLICT (source) DO UPDATE SET state = excluded.state, updated_at = now()`

// loadState reads what a source's last run left open.
func loadState(ctx context.Context, pool *pgxpool.Pool, source string) ([]byte, error) {
	var st []byte
	err := pool.QueryRow(ctx, `SELECT state::text FROM mail_state WHERE source = $1`, source).Scan(&st)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read mail state: %w", err)
	}
	return st, nil
}
