package run

import (
	"context"
	"errors"
	"log/slog"

	"github.com/go-co-op/gocron/v2"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ispacct/ispacct/lock"
)

// Locker is a gocron.Locker on PostgreSQL advisory locks: of several
// daemons sharing a database, one runs a tick and the others skip it. The
// lock is held for the tick; the server drops it with the session if the
// daemon dies.
//
// It is the first of two guards. The second is the chain lock and the
// ledger: a daemon that gets the tick after another finished it finds
// every period finished and runs nothing.
type Locker struct {
	// Pool is the database, nil while it is not reachable.
	Pool func() *pgxpool.Pool
	Log  *slog.Logger
}

// LockPrefix names the advisory locks of the daemon's ticks.
const LockPrefix = "schedule:"

// Lock takes the tick's lock. A tick another daemon holds is skipped
// (the error tells gocron so). When the database cannot be asked, the
// tick goes ahead: it will meet the same error, record it and mail it,
// and the chain lock still keeps two chains apart.
func (l Locker) Lock(ctx context.Context, key string) (gocron.Lock, error) {
	pool := l.Pool()
	if pool == nil {
		return noLock{}, nil
	}
	lk, err := lock.Acquire(ctx, pool, LockPrefix+key, false)
	var held *lock.HeldError
	if errors.As(err, &held) || (err != nil && ctx.Err() != nil) {
		return nil, err
	}
	if err != nil {
		l.Log.Warn("tick lock not taken, going ahead", "tick", key, "error", err)
		return noLock{}, nil
	}
	return heldLock{lk}, nil
}

type heldLock struct{ l *lock.Lock }

func (h heldLock) Unlock(context.Context) error {
	h.l.Release()
	return nil
}

type noLock struct{}

func (noLock) Unlock(context.Context) error { return nil }
