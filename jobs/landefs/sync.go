package landefs

import (
	"context"
	"fmt"
	"net/netip"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/ispacct/ispacct/netsetup"
)

// The origins of landefs rows: OriginVLANConfig rows follow vlan.config
// (Sync owns them); OriginManual rows (extra prefixes a customer was given
// by hand) are left alone by Sync, even where vlan.config names the prefix.
const (
	OriginVLANConfig = "vlan.config"
	OriginManual     = "manual"
)

// Change is one landefs row Sync adds, renames or removes, or a prefix
// it leaves to its manual row although vlan.config names it otherwise.
type Change struct {
	Kind   string       `json:"kind"` // ChangeAdd, ChangeRename, ChangeRemove or ChangeKept
	Prefix netip.Prefix `json:"prefix"`
	LAN    string       `json:"lan"`           // the name the row has afterwards
	Was    string       `json:"was,omitempty"` // rename: the old name; kept: the name vlan.config gives
}

// The kinds of Change.
const (
	ChangeAdd    = "add"
	ChangeRename = "rename"
	ChangeRemove = "remove"
	ChangeKept   = "kept"
)

func (c Change) String() string {
	switch c.Kind {
	case ChangeRename:
		return fmt.Sprintf("rename %s: %s -> %s", c.Prefix, c.Was, c.LAN)
	case ChangeKept:
		return fmt.Sprintf("keep %s as %s (added by hand; vlan.config names it %s: remove the manual row to follow vlan.config)", c.Prefix, c.LAN, c.Was)
	}
	return fmt.Sprintf("%s %s %s", c.Kind, c.Prefix, c.LAN)
}

// Synced is what a Sync did, or with dryRun would do.
type Synced struct {
	Changes []Change `json:"changes"`
}

// Count is how many changes are of kind.
func (s *Synced) Count(kind string) int {
	n := 0
	for _, c := range s.Changes {
		if c.Kind == kind {
			n++
		}
	}
	return n
}

// Sync makes the landefs rows of origin 'vlan.config' match the customer
// LANs of the plan (every VLAN but the maintenance VLAN): it adds each
// planned prefix, renames its own rows whose VLAN got another name and
// removes its own rows whose prefix is no longer planned. A prefix added
// by hand (origin 'manual') is the administrator's explicit word and is
// kept as it is, even where vlan.config names it otherwise: such prefixes
// come back as ChangeKept, for a warning.
//
// db is a pool or a transaction: all changes are made in one transaction
// of their own, or in a savepoint of the caller's, who then commits. With
// dryRun the changes are worked out and nothing is written.
func Sync(ctx context.Context, db interface {
	Begin(context.Context) (pgx.Tx, error)
}, plan netsetup.Plan, dryRun bool) (*Synced, error) {
	var res *Synced
	err := pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		var err error
		if res, err = diff(ctx, tx, plan); err != nil || dryRun {
			return err
		}
		return apply(ctx, tx, res.Changes)
	})
	if err != nil {
		return nil, fmt.Errorf("sync landefs: %w", err)
	}
	return res, nil
}

// diff compares the table with the plan, the rows locked until the end of
// the transaction.
func diff(ctx context.Context, tx pgx.Tx, plan netsetup.Plan) (*Synced, error) {
	rows, err := tx.Query(ctx, `SELECT lan_name, sublan, origin FROM landefs ORDER BY sublan FOR UPDATE`)
	if err != nil {
		return nil, err
	}
	have, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Def])
	if err != nil {
		return nil, err
	}
	byPrefix := map[netip.Prefix]Def{}
	for _, d := range have {
		byPrefix[d.Prefix] = d
	}
	res := &Synced{Changes: []Change{}}
	planned := map[netip.Prefix]bool{}
	for _, l := range plan.CustomerLANs() {
		planned[l.LAN] = true
		d, ok := byPrefix[l.LAN]
		switch {
		case !ok:
			res.Changes = append(res.Changes, Change{Kind: ChangeAdd, Prefix: l.LAN, LAN: l.Name})
		case d.Origin == OriginManual && d.LAN != l.Name:
			res.Changes = append(res.Changes, Change{Kind: ChangeKept, Prefix: l.LAN, LAN: d.LAN, Was: l.Name})
		case d.Origin == OriginVLANConfig && d.LAN != l.Name:
			res.Changes = append(res.Changes, Change{Kind: ChangeRename, Prefix: l.LAN, LAN: l.Name, Was: d.LAN})
		}
	}
	for _, d := range have {
		if d.Origin == OriginVLANConfig && !planned[d.Prefix] {
			res.Changes = append(res.Changes, Change{Kind: ChangeRemove, Prefix: d.Prefix, LAN: d.LAN})
		}
	}
	slices.SortFunc(res.Changes, func(a, b Change) int {
		if c := a.Prefix.Addr().Compare(b.Prefix.Addr()); c != 0 {
			return c
		}
		return a.Prefix.Bits() - b.Prefix.Bits()
	})
	return res, nil
}

func apply(ctx context.Context, tx pgx.Tx, changes []Change) error {
	for _, c := range changes {
		var err error
		switch c.Kind {
		case ChangeAdd:
			_, err = tx.Exec(ctx, `INSERT INTO landefs (lan_name, sublan, origin) VALUES ($1, $2, $3)`, c.LAN, c.Prefix, OriginVLANConfig)
		case ChangeRename:
			_, err = tx.Exec(ctx, `UPDATE landefs SET lan_name = $1 WHERE sublan = $2 AND origin = $3`, c.LAN, c.Prefix, OriginVLANConfig)
		case ChangeRemove:
			_, err = tx.Exec(ctx, `DELETE FROM landefs WHERE sublan = $1 AND origin = $2`, c.Prefix, OriginVLANConfig)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", c, err)
		}
	}
	return nil
}
