package ingest_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/ispacct/ispacct/jobs/ingest"
	"github.com/ispacct/ispacct/schema/pgtest"
)

// TestOverlappedBatchesLoadAPrefix: batches load two at a time, each in
// its own transaction, and still commit in their order. A file of small
// batches over several local days (new partitions while a load is open)
// loads every line once; a batch that fails leaves exactly the lines
// before it, with the ledger saying so, and the next run loads the rest.
func TestOverlappedBatchesLoadAPrefix(t *testing.T) {
	db := pgtest.New(t)
	const n = 60000
	// Five local days: each run of 15,000 lines starts a day later, at
	// 22:39, and runs past midnight.
	path := squidLog(t, n, func(i int) int64 { return 1795215541 + int64(i/15000)*86400 + int64(i%15000) })
	src := ingest.Source{Name: "squid", Format: "squid", Files: []string{path}}
	batches := 0
	failAt := 9
	opt := ingest.Options{Loc: db.Loc, Log: pgtest.Log(), BatchBytes: 64 << 10,
		Tally: func(ctx context.Context, tx pgx.Tx, t ingest.Tally) error {
			batches++
			if batches == failAt {
				return errors.New("the ninth batch fails")
			}
			return nil
		}}
	if _, err := ingest.Run(context.Background(), db.Pool, src, opt); err == nil {
		t.Fatal("a failing batch did not fail the run")
	}
	rows := pgtest.Count(t, db.Pool, `SELECT count(*) FROM proxy`)
	maxLine := pgtest.Count(t, db.Pool, `SELECT coalesce(max(src_line), 0) FROM proxy`)
	ledger := pgtest.Count(t, db.Pool, `SELECT lines FROM ingest_files`)
	if rows == 0 || rows != maxLine || rows != ledger {
		t.Fatalf("after batch %d failed: %d rows, the last line %d, the ledger %d lines: want one prefix", failAt, rows, maxLine, ledger)
	}
	failAt = -1
	if _, err := ingest.Run(context.Background(), db.Pool, src, opt); err != nil {
		t.Fatal(err)
	}
	if rows, sizes := pgtest.Count(t, db.Pool, `SELECT count(*) FROM proxy`), pgtest.Count(t, db.Pool, `SELECT count(DISTINCT src_line) FROM proxy`); rows != n || sizes != n {
		t.Fatalf("%d rows, %d distinct lines; want %d once each", rows, sizes, n)
	}
	if days := pgtest.Count(t, db.Pool, `SELECT count(*) FROM ingest_days WHERE tbl = 'proxy'`); days != 5 {
		t.Fatalf("%d days recorded, want 5", days)
	}
}
