package ingest

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/gaissmai/bart"
	"github.com/jackc/pgx/v5/pgxpool"
)

// LANs assigns client addresses to customer LANs by longest-prefix match
// over landefs: a customer who split a LAN may hold several prefixes of any
// length, and the most specific one wins.
type LANs struct {
	t bart.Table[string]
}

// LoadLANs reads landefs.
func LoadLANs(ctx context.Context, pool *pgxpool.Pool) (*LANs, error) {
	rows, err := pool.Query(ctx, `SELECT lan_name, sublan FROM landefs`)
	if err != nil {
		return nil, fmt.Errorf("read landefs: %w", err)
	}
	defer rows.Close()
	l := &LANs{}
	for rows.Next() {
		var name string
		var p netip.Prefix
		if err := rows.Scan(&name, &p); err != nil {
			return nil, fmt.Errorf("read landefs: %w", err)
		}
		l.t.Insert(p.Masked(), name)
	}
	return l, rows.Err()
}

// Lookup returns the LAN of a client address, or false if it is in none.
func (l *LANs) Lookup(a netip.Addr) (string, bool) {
	return l.t.Lookup(a.Unmap())
}
