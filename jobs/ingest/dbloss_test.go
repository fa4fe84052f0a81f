package ingest_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ispacct/ispacct/jobs/ingest"
	"github.com/ispacct/ispacct/schema"
	"github.com/ispacct/ispacct/schema/pgtest"
)

// TestDatabaseLostMidRun stops the database server while ingest loads:
// the run fails with an error, nothing half-written stays, and the next
// run, with the server back, goes on from the last commit and loads every
// line exactly once.
func TestDatabaseLostMidRun(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and stops a server of its own; not in -short")
	}
	// A cluster of its own, so stopping it disturbs no other test. The
	// folder must be reachable by the postgres user when we are root.
	state, err := os.MkdirTemp("", "ispacct-dbloss-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(state, 0o755)
	ctx := context.Background()
	cluster := &schema.Cluster{StateDir: state, Log: pgtest.Log()}
	t.Cleanup(func() { cluster.Stop(ctx); os.RemoveAll(state) })
	conn, err := cluster.Start(ctx)
	if err != nil {
		if errors.Is(err, schema.ErrNoServerBinaries) && os.Getenv("CI") != "true" {
			t.Skip(err)
		}
		t.Fatal(err)
	}
	pool, err := schema.Open(ctx, conn, pgtest.Berlin, pgtest.Log())
	if err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	var s seqLog
	path := filepath.Join(dir, "access.log")
	appendFile(t, path, s.lines(200000))
	src := ingest.Source{Name: "squid", Format: "squid", Files: []string{path}}
	opt := ingest.Options{Loc: pgtest.Berlin, Log: pgtest.Log(), BatchBytes: 64 << 10}

	stopped := make(chan error, 1)
	go func() {
		// Stop once the first batch is in, however busy the machine: a
		// fixed delay could stop it before any commit.
		for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			var n int64
			if pool.QueryRow(ctx, `SELECT count(*) FROM proxy`).Scan(&n); n > 0 {
				break
			}
		}
		stopped <- cluster.Stop(ctx)
	}()
	res, err := ingest.Run(ctx, pool, src, opt)
	pool.Close()
	if err == nil {
		t.Fatalf("ingest went on with the server stopped: %+v", res)
	}
	t.Logf("with the server gone: %v", err)
	if !strings.Contains(err.Error(), path) {
		t.Errorf("error does not name the file being loaded: %v", err)
	}

	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	if _, err := cluster.Start(ctx); err != nil {
		t.Fatal(err)
	}
	pool, err = schema.Open(ctx, conn, pgtest.Berlin, pgtest.Log())
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var before int64
	pool.QueryRow(ctx, `SELECT count(*) FROM proxy`).Scan(&before)
	if before == 0 || before >= 200000 {
		t.Fatalf("%d rows committed before the loss; want some but not all", before)
	}
	if _, err := ingest.Run(ctx, pool, src, opt); err != nil {
		t.Fatal(err)
	}
	db := &pgtest.DB{Pool: pool, Loc: pgtest.Berlin}
	checkExactlyOnce(t, db, s.next)
	t.Logf("%d rows were committed before the loss; the rerun loaded the rest exactly once", before)
}
