package ingest

import (
	"context"
	"net/netip"

	"github.com/gaissmai/bart"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ispacct/ispacct/jobs/landefs"
)

// LANs assigns client addresses to customer LANs by longest-prefix match
// over landefs: a customer who split a LAN may hold several prefixes of any
// length, and the most specific one wins.
type LANs struct {
	t bart.Table[string]
}

// LoadLANs reads landefs.
func LoadLANs(ctx context.Context, pool *pgxpool.Pool) (*LANs, error) {
	defs, err := landefs.List(ctx, pool)
	if err != nil {
		return nil, err
	}
	l := &LANs{}
	for _, d := range defs {
		l.t.Insert(d.Prefix.Masked(), d.LAN)
	}
	return l, nil
}

// Lookup returns the LAN of a client address, or false if it is in none.
func (l *LANs) Lookup(a netip.Addr) (string, bool) {
	return l.t.Lookup(a.Unmap())
}
