package landefs

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/ispacct/ispacct/netsetup"
	"github.com/ispacct/ispacct/schema/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestSync(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()

	var lastKept []string
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := db.Pool.Exec(ctx, sql, args...); err != nil {
			t.Fatal(err)
		}
	}
	table := func() string {
		t.Helper()
		rows, err := db.Pool.Query(ctx, `SELECT lan_name, sublan, origin FROM landefs ORDER BY sublan`)
		if err != nil {
			t.Fatal(err)
		}
		lines, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (string, error) {
			var name, origin string
			var p netip.Prefix
			err := r.Scan(&name, &p, &origin)
			return fmt.Sprintf("%s %s %s", p, name, origin), err
		})
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(lines, "\n")
	}
	sync := func(p netsetup.Plan) (added, updated, removed int) {
		t.Helper()
		// A dry run first: it must list the same changes and write none.
		before := table()
		dry, err := Sync(ctx, db.Pool, p, true)
		if err != nil {
			t.Fatal(err)
		}
		if after := table(); after != before {
			t.Fatalf("a dry run changed landefs:\n%s\nwas:\n%s", after, before)
		}
		var s *Synced
		err = pgx.BeginFunc(ctx, db.Pool, func(tx pgx.Tx) error {
			var err error
			s, err = Sync(ctx, tx, p, false)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(dry.Changes) != fmt.Sprint(s.Changes) {
			t.Fatalf("the dry run listed %v, the sync did %v", dry.Changes, s.Changes)
		}
		lastKept = nil
		for _, c := range s.Changes {
			if c.Kind == ChangeKept {
				lastKept = append(lastKept, c.String())
			}
		}
		return s.Count(ChangeAdd), s.Count(ChangeRename), s.Count(ChangeRemove)
	}
	plan := func(vlans ...netsetup.VLAN) netsetup.Plan {
		t.Helper()
		p, err := netsetup.NewPlan("eth1", vlans)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	check := func(step string, gotA, gotU, gotR, wantA, wantU, wantR int, want ...string) {
		t.Helper()
		if gotA != wantA || gotU != wantU || gotR != wantR {
			t.Errorf("%s: added, updated, removed = %d, %d, %d, want %d, %d, %d", step, gotA, gotU, gotR, wantA, wantU, wantR)
		}
		if got := table(); got != strings.Join(want, "\n") {
			t.Errorf("%s: landefs:\n%s\nwant:\n%s", step, got, strings.Join(want, "\n"))
		}
	}

	// Prefixes given by hand: one inside a customer's VLAN LAN (a split
	// LAN), one elsewhere, and one that vlan.config names otherwise: the
	// administrator's word stands, with a warning.
	exec(`INSERT INTO landefs (lan_name, sublan) VALUES
		('weber-lab', '10.4.24.128/25'), ('extern', '192.168.7.0/24'), ('old-hand', '10.0.2.0/24')`)

	p1 := plan(netsetup.VLAN{ID: 1, Name: "maint"}, netsetup.VLAN{ID: 2, Name: "schmidt"}, netsetup.VLAN{ID: 1048, Name: "mueller"}, netsetup.VLAN{ID: 4094, Name: "last"})
	a, u, r := sync(p1)
	check("first sync", a, u, r, 2, 0, 0,
		"10.0.2.0/24 old-hand manual", // the manual row is kept
		"10.4.24.0/24 mueller vlan.config",
		"10.4.24.128/25 weber-lab manual",
		"10.15.254.0/24 last vlan.config",
		"192.168.7.0/24 extern manual",
	)
	if fmt.Sprint(lastKept) != "[keep 10.0.2.0/24 as old-hand (added by hand; vlan.config names it schmidt: remove the manual row to follow vlan.config)]" {
		t.Errorf("kept: %q", lastKept)
	}
	var n int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM landefs WHERE sublan = '10.0.1.0/24'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("maintenance vlan in landefs: count %d, err %v", n, err)
	}

	a, u, r = sync(p1)
	check("second sync changes nothing", a, u, r, 0, 0, 0,
		"10.0.2.0/24 old-hand manual",
		"10.4.24.0/24 mueller vlan.config",
		"10.4.24.128/25 weber-lab manual",
		"10.15.254.0/24 last vlan.config",
		"192.168.7.0/24 extern manual",
	)

	// VLAN 4094 is gone, 1048 is renamed, 256 is new.
	p2 := plan(netsetup.VLAN{ID: 2, Name: "schmidt"}, netsetup.VLAN{ID: 1048, Name: "mueller-gmbh"}, netsetup.VLAN{ID: 256, Name: "bauer"})
	a, u, r = sync(p2)
	check("changed config", a, u, r, 1, 1, 1,
		"10.0.2.0/24 old-hand manual",
		"10.1.0.0/24 bauer vlan.config",
		"10.4.24.0/24 mueller-gmbh vlan.config",
		"10.4.24.128/25 weber-lab manual",
		"192.168.7.0/24 extern manual",
	)

	a, u, r = sync(plan())
	check("empty config", a, u, r, 0, 0, 2,
		"10.0.2.0/24 old-hand manual",
		"10.4.24.128/25 weber-lab manual",
		"192.168.7.0/24 extern manual",
	)
}

// Sync leaves committing to the caller: a rolled back transaction
// leaves the table as it was.
func TestSyncRollback(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	p, err := netsetup.NewPlan("eth1", []netsetup.VLAN{{ID: 1048, Name: "mueller"}})
	if err != nil {
		t.Fatal(err)
	}
	tx, err := db.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s, err := Sync(ctx, tx, p, false); err != nil || s.Count(ChangeAdd) != 1 {
		t.Fatalf("Sync: %+v, err %v", s, err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	rows, err := db.Pool.Query(ctx, `SELECT lan_name FROM landefs`)
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != 0 {
		t.Errorf("rows after rollback: %v", names)
	}
}
