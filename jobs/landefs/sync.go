package landefs

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/jackc/pgx/v5"

	"github.com/ispacct/ispacct/netsetup"
)

// The origins of landefs rows: OriginVLANConfig rows follow vlan.config
// (Sync owns them); OriginManual rows (extra prefixes a customer was given
// by hand) are left alone by Sync unless a planned prefix takes their place.
const (
	OriginVLANConfig = "vlan.config"
	OriginManual     = "manual"
)

// Sync makes the landefs rows of origin 'vlan.config' match the
// customer LANs of the plan (every VLAN but the maintenance VLAN): it
// upserts each planned LAN prefix with its name, taking over a manual row
// with the same prefix, and deletes its own rows whose prefix is no longer
// planned. It counts rows added, updated (name or origin changed) and
// removed; unchanged rows count nowhere.
//
// db is a pool or a transaction: all changes are made in one transaction
// of their own, or in a savepoint of the caller's, who then commits.
func Sync(ctx context.Context, db interface {
	Begin(context.Context) (pgx.Tx, error)
}, plan netsetup.Plan) (added, updated, removed int, err error) {
	err = pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		var err error
		added, updated, removed, err = syncTx(ctx, tx, plan)
		return err
	})
	return added, updated, removed, err
}

func syncTx(ctx context.Context, tx pgx.Tx, plan netsetup.Plan) (added, updated, removed int, err error) {
	lans := plan.CustomerLANs()
	names := make([]string, len(lans))
	prefixes := make([]netip.Prefix, len(lans))
	for i, l := range lans {
		names[i], prefixes[i] = l.Name, l.LAN
	}

	tag, err := tx.Exec(ctx, `
		DELETE FROM landefs
		WHERE origin = $1 AND NOT sublan = ANY ($2::cidr[])`,
		OriginVLANConfig, prefixes)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("delete stale landefs rows: %w", err)
	}
	removed = int(tag.RowsAffected())

	// The WHERE clause skips rows that are already right, so they are not
	// rewritten and not counted. xmax is 0 only on a freshly inserted row:
	// the usual way to tell an insert from an update in ON CONFLICT.
	rows, err := tx.Query(ctx, `
		INSERT INTO landefs AS l (lan_name, sublan, origin)
		SELECT name, prefix, $3 FROM unnest($1::text[], $2::cidr[]) AS p (name, prefix)
		ON CONFLICT (sublan) DO UPDATE
			SET lan_name = excluded.lan_name, origin = excluded.origin
			WHERE (l.lan_name, l.origin) IS DISTINCT FROM (excluded.lan_name, excluded.origin)
		RETURNING l.xmax = 0`,
		names, prefixes, OriginVLANConfig)
	if err != nil {
		return 0, 0, removed, fmt.Errorf("upsert landefs rows: %w", err)
	}
	inserted, err := pgx.CollectRows(rows, pgx.RowTo[bool])
	if err != nil {
		return 0, 0, removed, fmt.Errorf("upsert landefs rows: %w", err)
	}
	for _, ins := range inserted {
		if ins {
			added++
		} else {
			updated++
		}
	}
	return added, updated, removed, nil
}
