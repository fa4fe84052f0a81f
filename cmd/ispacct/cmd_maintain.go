package main

import (
	"context"
	"flag"
	"fmt"
	"sort"
	"time"

	"github.com/ispacct/ispacct/jobs/maintain"
)

func newMaintainCommand() *command {
	var dryRun bool
	return &command{
		name:    "maintain",
		args:    "[--dry-run]",
		summary: "apply the configured retention: drop old raw partitions and aggregates, pseudonymise old addresses",
		help: `Removes what is older than the configured retention ([retention] raw_days
and aggregate_days, counted back from today). Raw rows go a whole day
partition at a time (detached, then dropped), together with the rejected
log lines of that age; aggregates are deleted by day. With
pseudonymise_days set, the client addresses of older raw rows are cut to
their /24 (IPv6 /48), the LAN kept, and rejected log lines of that age
are deleted; aggregates and archives already written stay as they are.
With all limits at 0, the default, nothing is removed or changed. The
daily and monthly chains ('ispacct run', the daemon) apply the same
limits after each run; this command is for doing it by hand. --dry-run
lists what would change.

Example:
  ispacct maintain --dry-run
  ispacct maintain`,
		json: true,
		flags: func(fs *flag.FlagSet) {
			fs.BoolVar(&dryRun, "dry-run", false, "list what would be removed; remove nothing")
		},
		run: func(ctx context.Context, a *app, args []string) error { return runMaintain(ctx, a, dryRun, args) },
	}
}

func runMaintain(ctx context.Context, a *app, dryRun bool, args []string) error {
	if len(args) > 0 {
		return usagef("unexpected arguments %q", args)
	}
	r := maintain.FromConfig(a.cfg.Retention)
	pool, err := a.db(ctx)
	if err != nil {
		return err
	}
	plan, err := maintain.PlanRetention(ctx, pool, r, time.Now(), a.cfg.Loc)
	if err != nil {
		return err
	}
	if a.jsonOut {
		if err := a.printJSON(plan); err != nil {
			return err
		}
	} else {
		printPlan(a, r, plan, dryRun)
	}
	if dryRun {
		return nil
	}
	return maintain.Apply(ctx, pool, plan, a.log)
}

func printPlan(a *app, r maintain.Retention, p *maintain.Plan, dryRun bool) {
	verb := "removing"
	if dryRun {
		verb = "would remove"
	}
	if r.None() {
		fmt.Fprintln(a.stdout, "retention: keep everything (retention.raw_days, aggregate_days and pseudonymise_days are 0); nothing to do")
		return
	}
	if r.PseudonymiseDays > 0 {
		var rows int64
		for _, n := range p.Pseudonymise {
			rows += n
		}
		pverb := map[bool]string{true: "would pseudonymise", false: "pseudonymising"}[dryRun]
		fmt.Fprintf(a.stdout, "client addresses: keep %s whole; %s %s of days before %s (to their /24, IPv6 /48) and remove %s\n",
			plural(int64(r.PseudonymiseDays), "day"), pverb, plural(rows, "row"), p.PseudonymiseBefore, plural(p.PseudonymiseRejects, "rejected line"))
		for _, n := range sortedKeys(p.Pseudonymise) {
			fmt.Fprintf(a.stdout, "  %-18s %s\n", n, plural(p.Pseudonymise[n], "row"))
		}
	}
	if r.RawDays > 0 {
		fmt.Fprintf(a.stdout, "raw rows: keep %s; %s %s of days before %s and %s\n",
			plural(int64(r.RawDays), "day"), verb, plural(int64(len(p.Partitions)), "partition"), p.RawBefore, plural(p.Rejects, "rejected line"))
		for _, n := range p.Partitions {
			fmt.Fprintf(a.stdout, "  %s\n", n)
		}
	}
	if r.AggregateDays > 0 {
		tables := sortedKeys(p.AggregateRows)
		fmt.Fprintf(a.stdout, "aggregates: keep %d days; %s rows of days before %s\n", r.AggregateDays, verb, p.AggregateBefore)
		for _, t := range tables {
			fmt.Fprintf(a.stdout, "  %-18s %s\n", t, plural(p.AggregateRows[t], "row"))
		}
	}
}

func sortedKeys(m map[string]int64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
