package web

import (
	"sync"
	"time"
)

// limiter bounds failed logins: per client address, and over all
// addresses together, in a sliding window. A guesser from one address is
// stopped after a few tries; many addresses together after a few more.
type limiter struct {
	mu      sync.Mutex
	window  time.Duration
	perAddr int
	overall int
	byAddr  map[string][]time.Time
	all     []time.Time
}

func newLimiter() *limiter {
	return &limiter{window: 15 * time.Minute, perAddr: 5, overall: 20, byAddr: map[string][]time.Time{}}
}

// allow reports whether addr may try to log in now, and else how long it
// has to wait. An allowed attempt counts as failed from here on, until
// succeeded or release says otherwise: counted only after the password
// check, attempts sent side by side would all pass before any counted.
func (l *limiter) allow(addr string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.prune(now)
	if ts := l.byAddr[addr]; len(ts) >= l.perAddr {
		return false, ts[0].Add(l.window).Sub(now)
	}
	if len(l.all) >= l.overall {
		return false, l.all[0].Add(l.window).Sub(now)
	}
	l.byAddr[addr] = append(l.byAddr[addr], now)
	l.all = append(l.all, now)
	return true, 0
}

// release takes back the attempt allow counted at now: it was not the
// client's failure (the password file could not be read).
func (l *limiter) release(addr string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.byAddr[addr] = dropLast(l.byAddr[addr], now)
	if len(l.byAddr[addr]) == 0 {
		delete(l.byAddr, addr)
	}
	l.all = dropLast(l.all, now)
}

// succeeded forgets addr's failures, and takes back the attempt that
// succeeded from the overall count.
func (l *limiter) succeeded(addr string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.byAddr, addr)
	l.all = dropLast(l.all, now)
}

// dropLast removes the last t from ts.
func dropLast(ts []time.Time, t time.Time) []time.Time {
	for i := len(ts) - 1; i >= 0; i-- {
		if ts[i].Equal(t) {
			return append(ts[:i], ts[i+1:]...)
		}
	}
	return ts
}

func (l *limiter) prune(now time.Time) {
	cut := now.Add(-l.window)
	keep := func(ts []time.Time) []time.Time {
		i := 0
		for i < len(ts) && !ts[i].After(cut) {
			i++
		}
		return ts[i:]
	}
	l.all = keep(l.all)
	for a, ts := range l.byAddr {
		if ts = keep(ts); len(ts) == 0 {
			delete(l.byAddr, a)
		} else {
			l.byAddr[a] = ts
		}
	}
}
