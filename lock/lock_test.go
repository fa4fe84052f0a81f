package lock_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ispacct/ispacct/lock"
	"github.com/ispacct/ispacct/schema/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestHeldNamesHolder(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	l, err := lock.Acquire(ctx, db.Pool, "job", false)
	if err != nil {
		t.Fatal(err)
	}
	_, err = lock.Acquire(ctx, db.Pool, "job", false)
	var he *lock.HeldError
	if !errors.As(err, &he) || he.PID != os.Getpid() || !strings.Contains(err.Error(), "PID") {
		t.Fatalf("second acquire: %v", err)
	}
	l.Release()
	l2, err := lock.Acquire(ctx, db.Pool, "job", false)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	l2.Release()
}

// TestDeadHolderIsWaitedOut: a holder recorded for this host whose process
// is gone (killed a moment ago) is waited for, not reported as busy.
func TestDeadHolderIsWaitedOut(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	l, err := lock.Acquire(ctx, db.Pool, "job", false)
	if err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	// Pretend a process that does not exist holds it, as after a SIGKILL.
	db.Pool.Exec(ctx, `UPDATE run_locks SET host = $1, pid = 2147483647 WHERE name = 'job'`, host)
	go func() { time.Sleep(300 * time.Millisecond); l.Release() }()
	t0 := time.Now()
	l2, err := lock.Acquire(ctx, db.Pool, "job", false)
	if err != nil {
		t.Fatalf("dead holder reported as busy: %v", err)
	}
	l2.Release()
	if d := time.Since(t0); d < 250*time.Millisecond {
		t.Fatalf("took the lock after %v, before the old session let go", d)
	}
}
