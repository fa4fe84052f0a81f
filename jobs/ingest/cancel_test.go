package ingest_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ispacct/ispacct/jobs/ingest"
	"github.com/ispacct/ispacct/schema/pgtest"
)

// TestIngestCancelled: a run cancelled between batches says so (it must
// not look done), keeps what it committed, and the next run loads the
// rest, every line once.
func TestIngestCancelled(t *testing.T) {
	db := pgtest.New(t)
	const n = 80000
	path := squidLog(t, n, func(i int) int64 { return 1795215541 + int64(i/10) })
	src := ingest.Source{Name: "squid", Format: "squid", Files: []string{path}}
	opt := ingest.Options{Loc: db.Loc, Log: pgtest.Log(), BatchBytes: 32 << 10}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for ctx.Err() == nil && pgtest.Count(t, db.Pool, `SELECT count(*) FROM proxy`) == 0 {
			time.Sleep(2 * time.Millisecond)
		}
		cancel()
	}()
	res, err := ingest.Run(ctx, db.Pool, src, opt)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("a cancelled run returned %v (%d rows): want context.Canceled", err, res.Rows)
	}
	first := pgtest.Count(t, db.Pool, `SELECT count(*) FROM proxy`)
	if first == 0 || first >= n {
		t.Fatalf("the cancel did not fall into the load: %d of %d rows", first, n)
	}
	if _, err := ingest.Run(context.Background(), db.Pool, src, opt); err != nil {
		t.Fatal(err)
	}
	if rows, sizes := pgtest.Count(t, db.Pool, `SELECT count(*) FROM proxy`), pgtest.Count(t, db.Pool, `SELECT count(DISTINCT size) FROM proxy`); rows != n || sizes != n {
		t.Fatalf("after the cancelled run (%d rows) and a full one: %d rows, %d distinct; want %d once each", first, rows, sizes, n)
	}
}

// squidLog writes a Squid log of n lines, line i at the Unix time at(i),
// each with a size of its own (1000 + i).
func squidLog(t *testing.T, n int, at func(i int) int64) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "access.log")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	for i := range n {
		fmt.Fprintf(w, "%d.000 5 10.4.24.%d TCP_MISS/200 %d GET http://x.example/%d - HIER_NONE/- text/html\n", at(i), 2+i%250, 1000+i, i)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}
