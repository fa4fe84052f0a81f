// Package lock keeps two runs of one job from working at once, on one host
// or on several sharing a database, with a PostgreSQL advisory lock. The
// holder writes its host, PID and start time, so a second run can say who
// is busy.
package lock

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// HeldError says another run holds the lock.
type HeldError struct {
	Name      string
	Host      string
	PID       int
	StartedAt time.Time
}

func (e *HeldError) Error() string {
	if e.Host == "" {
		return fmt.Sprintf("another run holds the lock %q", e.Name)
	}
	return fmt.Sprintf("another run holds the lock %q: host %s, PID %d, since %s",
		e.Name, e.Host, e.PID, e.StartedAt.Format(time.RFC3339))
}

// Lock is a held advisory lock. It lives on one connection taken from the
// pool for as long as the lock is held; if the process dies, the server
// drops the connection and with it the lock.
type Lock struct {
	name string
	conn *pgxpool.Conn
}

// Acquire takes the named lock. With wait, it blocks until the lock is
// free or ctx ends; without, it returns a *HeldError at once.
func Acquire(ctx context.Context, pool *pgxpool.Pool, name string, wait bool) (*Lock, error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	if wait {
		_, err = conn.Exec(ctx, `SELECT pg_advisory_lock(hashtextextended($1, 0))`, name)
	} else {
		err = tryLock(ctx, conn, pool, name)
	}
	if err != nil {
		conn.Release()
		var he *HeldError
		if errors.As(err, &he) {
			return nil, err
		}
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	host, _ := os.Hostname()
	_, err = conn.Exec(ctx, `INSERT INTO run_locks (name, host, pid, started_at) VALUES ($1, $2, $3, now())
		ON CONFLICT (name) DO UPDATE SET host = excluded.host, pid = excluded.pid, started_at = excluded.started_at`,
		name, host, os.Getpid())
	if err != nil {
		conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(hashtextextended($1, 0))`, name)
		conn.Release()
		return nil, fmt.Errorf("lock %s: record holder: %w", name, err)
	}
	return &Lock{name: name, conn: conn}, nil
}

// staleWait bounds how long a lock whose holder has died on this host is
// waited for: the server ends a dead client's session, and with it the
// lock, as soon as it notices the closed connection.
const staleWait = 10 * time.Second

// tryLock takes the lock without waiting for a live holder. A holder that
// was killed on this host a moment ago still holds the lock until its
// session ends; that is waited out rather than reported as busy.
func tryLock(ctx context.Context, conn *pgxpool.Conn, pool *pgxpool.Pool, name string) error {
	deadline := time.Now().Add(staleWait)
	for {
		var ok bool
		if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock(hashtextextended($1, 0))`, name).Scan(&ok); err != nil {
			return err
		}
		if ok {
			return nil
		}
		err := holder(ctx, pool, name)
		var he *HeldError
		if !errors.As(err, &he) || !he.gone() || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// gone reports whether the holder was a process on this host that no
// longer exists.
func (e *HeldError) gone() bool {
	host, _ := os.Hostname()
	if e.Host != host || e.PID <= 0 {
		return false
	}
	return syscall.Kill(e.PID, 0) == syscall.ESRCH
}

func holder(ctx context.Context, pool *pgxpool.Pool, name string) error {
	e := &HeldError{Name: name}
	err := pool.QueryRow(ctx, `SELECT host, pid, started_at FROM run_locks WHERE name = $1`, name).Scan(&e.Host, &e.PID, &e.StartedAt)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("lock %s: read holder: %w", name, err)
	}
	return e
}

// Release gives the lock back.
func (l *Lock) Release() {
	if l == nil || l.conn == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	l.conn.Exec(ctx, `SELECT pg_advisory_unlock(hashtextextended($1, 0))`, l.name)
	l.conn.Release()
	l.conn = nil
}
