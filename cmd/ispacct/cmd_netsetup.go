package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/ispacct/ispacct/jobs/landefs"
	"github.com/ispacct/ispacct/netsetup"
)

type netsetupOptions struct {
	vlanConfig, parent            string
	dryRun, prune, noDB, lansOnly bool
}

func newNetsetupCommand() *command {
	var opts netsetupOptions
	return &command{
		name:    "netsetup",
		args:    "[--dry-run] [--prune] [--no-db | --landefs-only]",
		summary: "create the customer VLAN interfaces and addresses from vlan.config",
		help: `Reads vlan.config (<vlan-id> [<lan-name>] a line) and reconciles this host:
one 802.1Q interface <parent>.<id> per VLAN with the address
10.(id/256).(id%256).1/24 and broadcast .255, up. A second run changes
nothing; a link with the wrong VLAN id or address is corrected and
reported; links and addresses it does not manage are never touched. VLAN
links no longer in the file are removed only with --prune. A missing
parent or missing privileges fail before anything changes (exit 1).

Then the customer LANs (every VLAN but 1, the maintenance VLAN) are
written to landefs in one transaction. Prefixes added by hand ('ispacct
landefs import') are kept, even where vlan.config names one otherwise:
that is listed as "kept by hand" with a warning. --dry-run lists the
landefs rows it would add, rename and remove too.
At boot use --no-db (the database starts later) and sync with
--landefs-only once it runs.

Example:
  ispacct netsetup --dry-run
  ispacct netsetup --no-db --vlan-config /usr/local/cpe/etc/vlan.config
  ispacct netsetup --landefs-only`,
		json: true,
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&opts.vlanConfig, "vlan-config", "", "the VLAN list (default: netsetup.vlan_config)")
			fs.StringVar(&opts.parent, "parent", "", "the NIC the VLANs hang off (default: netsetup.parent)")
			fs.BoolVar(&opts.dryRun, "dry-run", false, "print the plan and what would change; change nothing")
			fs.BoolVar(&opts.prune, "prune", false, "remove <parent>.<id> VLAN links that are no longer in vlan.config")
			fs.BoolVar(&opts.noDB, "no-db", false, "do not sync landefs")
			fs.BoolVar(&opts.lansOnly, "landefs-only", false, "only sync landefs; leave the interfaces alone")
		},
		run: func(ctx context.Context, a *app, args []string) error { return runNetsetup(ctx, a, opts, args) },
	}
}

// netsetupPlan reads vlan.config and plans the interfaces.
func netsetupPlan(a *app, opts netsetupOptions) (netsetup.Plan, error) {
	if opts.vlanConfig == "" {
		opts.vlanConfig = a.cfg.Netsetup.VLANConfig
	}
	if opts.parent == "" {
		opts.parent = a.cfg.Netsetup.Parent
	}
	vlans, err := netsetup.ReadConfig(opts.vlanConfig)
	if err != nil {
		var ce *netsetup.ConfigError
		if errors.As(err, &ce) {
			return netsetup.Plan{}, usagef("%v", err)
		}
		return netsetup.Plan{}, err
	}
	plan, err := netsetup.NewPlan(opts.parent, vlans)
	if err != nil {
		return netsetup.Plan{}, usagef("%v", err)
	}
	return plan, nil
}

func runNetsetup(ctx context.Context, a *app, opts netsetupOptions, args []string) error {
	if len(args) > 0 {
		return usagef("unexpected arguments %q", args)
	}
	dryRun, prune, noDB, lansOnly := opts.dryRun, opts.prune, opts.noDB, opts.lansOnly
	if noDB && lansOnly {
		return usagef("--no-db and --landefs-only exclude each other")
	}
	plan, err := netsetupPlan(a, opts)
	if err != nil {
		return err
	}
	var changes []netsetup.Change
	if !lansOnly {
		// Planned first: a plan the host refuses (no parent, a loopback
		// parent) is not drawn as if it could be.
		changes, err = netsetup.Apply(ctx, nil, plan, netsetup.Options{DryRun: dryRun, Prune: prune})
		if err != nil {
			return err
		}
		if dryRun && !a.jsonOut {
			if err := plan.WriteTable(a.stdout); err != nil {
				return err
			}
			fmt.Fprintln(a.stdout)
		}
		if !a.jsonOut {
			if err := netsetup.WriteChanges(a.stdout, changes, dryRun); err != nil {
				return err
			}
		}
		for _, c := range changes {
			// Printed above already; the log keeps it for the journal.
			a.log.Debug("netsetup change", "change", c.String(), "dry_run", dryRun)
		}
	}
	type result struct {
		Plan    netsetup.Plan     `json:"plan"`
		Changes []netsetup.Change `json:"changes"`
		// Landefs is what the sync did or, in a dry run, would do.
		Landefs *landefs.Synced `json:"landefs,omitempty"`
	}
	if changes == nil {
		changes = []netsetup.Change{}
	}
	res := result{Plan: plan, Changes: changes}
	if !noDB {
		pool, err := a.db(ctx)
		if err == nil {
			res.Landefs, err = landefs.Sync(ctx, pool, plan, dryRun)
		}
		if err != nil {
			if a.jsonOut {
				a.printJSON(res)
			}
			if lansOnly {
				return err
			}
			if dryRun {
				return &partialError{fmt.Sprintf("landefs changes not listed: %v", err)}
			}
			return &partialError{fmt.Sprintf("interfaces set up, but landefs not synced (run 'ispacct netsetup --landefs-only' when the database is up): %v", err)}
		}
		if !a.jsonOut {
			printLandefs(a, res.Landefs, dryRun)
		}
		for _, c := range res.Landefs.Changes {
			if c.Kind == landefs.ChangeKept {
				a.log.Warn("landefs: a prefix added by hand is kept against vlan.config", "prefix", c.Prefix, "lan", c.LAN, "vlan_config_name", c.Was)
			}
		}
	}
	if a.jsonOut {
		return a.printJSON(res)
	}
	return nil
}

// printLandefs lists the landefs rows a sync added, renamed, removed or
// kept by hand against vlan.config, and counts them.
func printLandefs(a *app, s *landefs.Synced, dryRun bool) {
	verb := ""
	if dryRun {
		verb = "would "
	}
	for _, c := range s.Changes {
		fmt.Fprintf(a.stdout, "landefs: %s%s\n", verb, c)
	}
	counts := "landefs: %d added, %d renamed, %d removed, %d kept by hand\n"
	if dryRun {
		counts = "landefs: %d to add, %d to rename, %d to remove, %d kept by hand\n"
	}
	fmt.Fprintf(a.stdout, counts, s.Count(landefs.ChangeAdd), s.Count(landefs.ChangeRename), s.Count(landefs.ChangeRemove), s.Count(landefs.ChangeKept))
}
