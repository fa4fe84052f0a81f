// Package landefs owns the landefs table, the customer LAN prefixes: every
// write and read of it is here. Prefixes come by hand (Import, marked
// 'manual') or from the plan netsetup makes of vlan.config (Sync, marked
// 'vlan.config'); each kind leaves the other alone. Ingest assigns clients
// to LANs from List.
package landefs

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ispacct/ispacct/netsetup"
)

// Def is one prefix of a LAN.
type Def struct {
	LAN    string       `json:"lan_name"`
	Prefix netip.Prefix `json:"sublan"`
	Origin string       `json:"origin"`
}

// FileError is a landefs file that does not parse: its name, the line
// and why.
type FileError struct{ msg string }

func (e *FileError) Error() string { return e.msg }

func fileErr(format string, args ...any) error { return &FileError{fmt.Sprintf(format, args...)} }

// Parse reads "<lan_name> <prefix>" lines; '#' starts a comment. Errors
// are *FileError and name the line.
func Parse(r io.Reader, name string) ([]Def, error) {
	var defs []Def
	seen := map[netip.Prefix]int{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line, _, _ := strings.Cut(sc.Text(), "#")
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) != 2 {
			return nil, fileErr("%s:%d: want \"<lan_name> <prefix>\", got %q", name, n, strings.TrimSpace(line))
		}
		if msg := netsetup.CheckName(f[0]); msg != "" {
			return nil, fileErr("%s:%d: %s", name, n, msg)
		}
		p, err := netip.ParsePrefix(f[1])
		if err != nil {
			return nil, fileErr("%s:%d: %q is not a prefix like 10.4.24.0/24", name, n, f[1])
		}
		if p != p.Masked() {
			return nil, fileErr("%s:%d: %s has host bits set; the network is %s", name, n, p, p.Masked())
		}
		if prev, ok := seen[p]; ok {
			return nil, fileErr("%s:%d: prefix %s already given on line %d", name, n, p, prev)
		}
		seen[p] = n
		defs = append(defs, Def{LAN: f[0], Prefix: p, Origin: OriginManual})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return defs, nil
}

// Import writes defs into landefs in one transaction: a prefix already
// there takes the new LAN name and becomes manual, so the administrator's
// word stands against vlan.config too (Sync keeps manual rows and warns).
// With replace, manual prefixes not in defs are removed; the next Sync
// then gives a VLAN's prefix back to vlan.config.
func Import(ctx context.Context, pool *pgxpool.Pool, defs []Def, replace bool) (changed int64, err error) {
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if replace {
			prefixes := make([]netip.Prefix, len(defs))
			for i, d := range defs {
				prefixes[i] = d.Prefix
			}
			tag, err := tx.Exec(ctx, `DELETE FROM landefs WHERE origin = $2 AND NOT sublan = ANY($1::cidr[])`, prefixes, OriginManual)
			if err != nil {
				return err
			}
			changed += tag.RowsAffected()
		}
		for _, d := range defs {
			tag, err := tx.Exec(ctx, `INSERT INTO landefs (lan_name, sublan, origin) VALUES ($1, $2, $3)
				ON CONFLICT (sublan) DO UPDATE SET lan_name = excluded.lan_name, origin = excluded.origin
				WHERE (landefs.lan_name, landefs.origin) IS DISTINCT FROM (excluded.lan_name, excluded.origin)`, d.LAN, d.Prefix, OriginManual)
			if err != nil {
				return fmt.Errorf("prefix %s: %w", d.Prefix, err)
			}
			changed += tag.RowsAffected()
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("import landefs: %w", err)
	}
	return changed, nil
}

// List returns every prefix, ordered by LAN and prefix.
func List(ctx context.Context, pool *pgxpool.Pool) ([]Def, error) {
	rows, err := pool.Query(ctx, `SELECT lan_name, sublan, origin FROM landefs ORDER BY lan_name COLLATE "C", sublan`)
	if err != nil {
		return nil, fmt.Errorf("list landefs: %w", err)
	}
	defs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Def, error) {
		var d Def
		err := r.Scan(&d.LAN, &d.Prefix, &d.Origin)
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("list landefs: %w", err)
	}
	return defs, nil
}

// ImportFile reads a landefs file and imports it; errors name the file
// and line.
func ImportFile(ctx context.Context, pool *pgxpool.Pool, path string, replace bool) (defs []Def, changed int64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	if defs, err = Parse(f, path); err != nil {
		return nil, 0, err
	}
	changed, err = Import(ctx, pool, defs, replace)
	return defs, changed, err
}
