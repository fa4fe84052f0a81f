package maintain_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ispacct/ispacct/jobs/ingest"
	"github.com/ispacct/ispacct/jobs/maintain"
	"github.com/ispacct/ispacct/lock"
	"github.com/ispacct/ispacct/schema/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// TestApplyWaitsForIngest: retention does not drop a day of a table
// while an ingest of that table holds its lock (it may be loading into
// that very day); it drops it once the ingest is done.
func TestApplyWaitsForIngest(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	log := pgtest.Log()
	day := time.Date(2026, 1, 10, 12, 0, 0, 0, db.Loc)
	path := filepath.Join(t.TempDir(), "access.log")
	os.WriteFile(path, []byte("1768042800.000 1 10.4.24.2 TCP_MISS/200 100 GET http://x.example/ - HIER_NONE/- -\n"), 0o644)
	opt := ingest.Options{Loc: db.Loc, NotBefore: day.AddDate(0, 0, -1), NotAfter: day.AddDate(0, 0, 1), Log: log}
	if _, err := ingest.Run(ctx, db.Pool, ingest.Source{Name: "squid", Format: "squid", Files: []string{path}}, opt); err != nil {
		t.Fatal(err)
	}
	plan, err := maintain.PlanRetention(ctx, db.Pool, maintain.Retention{RawDays: 30}, day.AddDate(0, 2, 0), db.Loc)
	if err != nil || len(plan.Partitions) == 0 {
		t.Fatalf("plan: %v %+v", err, plan)
	}
	held, err := lock.Acquire(ctx, db.Pool, ingest.LockName("proxy"), false)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- maintain.Apply(ctx, db.Pool, plan, log) }()
	time.Sleep(300 * time.Millisecond)
	var rows int
	db.Pool.QueryRow(ctx, `SELECT count(*) FROM proxy`).Scan(&rows)
	if rows != 1 {
		t.Fatalf("retention dropped the day while an ingest held the table: %d rows", rows)
	}
	select {
	case err := <-done:
		t.Fatalf("Apply returned while the ingest lock was held: %v", err)
	default:
	}
	held.Release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	db.Pool.QueryRow(ctx, `SELECT count(*) FROM proxy`).Scan(&rows)
	if rows != 0 {
		t.Fatalf("after the ingest, the day must be gone: %d rows", rows)
	}
}
