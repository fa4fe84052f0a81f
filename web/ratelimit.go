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
// has to wait.
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
	return true, 0
}

// failed counts a failed login.
func (l *limiter) failed(addr string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.byAddr[addr] = append(l.byAddr[addr], now)
	l.all = append(l.all, now)
}

// succeeded forgets addr's failures.
func (l *limiter) succeeded(addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.byAddr, addr)
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
