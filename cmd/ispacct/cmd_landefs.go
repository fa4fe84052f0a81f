package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/ispacct/ispacct/jobs/landefs"
)

func newLandefsCommand() *command {
	var replace bool
	return &command{
		name:    "landefs",
		args:    "list | import [--replace] FILE",
		summary: "show or load the customer LAN prefixes (landefs)",
		help: `landefs maps address prefixes to customer LAN names; proxy clients are
assigned by longest-prefix match. netsetup keeps the prefixes of
vlan.config in step; use import for prefixes given to customers by hand.
FILE holds "<lan_name> <prefix>" lines; '#' starts a comment. Names
follow vlan.config's rule: letters, digits, '-', '_' and '.', starting
with a letter or digit, at most 64 characters. With --replace, manual
prefixes missing from FILE are removed.

Example:
  ispacct landefs import fixtures/landefs.txt
  ispacct landefs list --json`,
		json:  true,
		flags: func(fs *flag.FlagSet) { fs.BoolVar(&replace, "replace", false, "remove manual prefixes not in FILE") },
		run: func(ctx context.Context, a *app, args []string) error {
			switch {
			case len(args) == 1 && args[0] == "list":
				return landefsList(ctx, a)
			case len(args) == 2 && args[0] == "import":
				return landefsImport(ctx, a, args[1], replace)
			}
			return usagef("want list or import FILE")
		},
	}
}

func landefsList(ctx context.Context, a *app) error {
	pool, err := a.db(ctx)
	if err != nil {
		return err
	}
	defs, err := landefs.List(ctx, pool)
	if err != nil {
		return err
	}
	if a.jsonOut {
		return a.printJSON(defs)
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "LAN\tPREFIX\tORIGIN")
	for _, d := range defs {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", d.LAN, d.Prefix, d.Origin)
	}
	return tw.Flush()
}

func landefsImport(ctx context.Context, a *app, path string, replace bool) error {
	if _, err := os.Stat(path); err != nil {
		return usagef("%v", err)
	}
	if abs, err := filepath.Abs(path); err == nil {
		path = abs // messages name one file whatever the working directory
	}
	pool, err := a.db(ctx)
	if err != nil {
		return err
	}
	defs, n, err := landefs.ImportFile(ctx, pool, path, replace)
	var fe *landefs.FileError
	if errors.As(err, &fe) {
		return usagef("%v", err)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "landefs: %s read from %s, %s changed\n", plural(int64(len(defs)), "prefix"), path, plural(int64(n), "row"))
	return nil
}
