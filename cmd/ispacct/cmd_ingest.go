package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/ispacct/ispacct/config"
	"github.com/ispacct/ispacct/jobs/ingest"
	"github.com/ispacct/ispacct/parsers"
)

// sourceArgs choose what ingest and backfill read: configured sources, or
// files named on the command line with their format.
type sourceArgs struct {
	sources multiFlag
	format  string
	vhost   string
}

func (s *sourceArgs) bind(fs *flag.FlagSet, verb string) {
	fs.Var(&s.sources, "source", verb+" only this configured source (repeatable)")
	fs.StringVar(&s.format, "format", "", "read the FILEs named on the command line in this format")
	fs.StringVar(&s.vhost, "vhost", "", "with --format for per-virtual-host Apache logs: the vhost of the FILEs")
}

type ingestOptions struct {
	sourceArgs
	wait, reload bool
}

func newIngestCommand() *command {
	var opts ingestOptions
	return &command{
		name:    "ingest",
		args:    "[--source NAME]... | --format FORMAT FILE...",
		summary: "load new log lines into the database, exactly once",
		help: `Reads every configured source's files (or only the named sources), oldest
first, and loads the lines not loaded before. A file is known by its first
line, so rotated and compressed copies are never read twice; a last line
without its newline waits for the next run. Malformed lines are counted as
rejects with file, line and reason ('ispacct rejects' lists them).

With --format, the files named on the command line are read instead, in
the order given (oldest first). Formats: ` + strings.Join(config.FormatNames(), ", ") + `.

Per-virtual-host Apache logs (apache-common, apache-combined) need their
vhost: --vhost, or the source's vhost key.

With --reload, the files named with --format are loaded again from their
first line as they are now: in one transaction the rows, rejects and
ledger entries they gave before are removed (whatever format they were
read in), the files are loaded, and the days of the old and new rows are
marked for rollup. It prints rows and rejects before and after.

Exit code 3 when a file could not be read, was left alone (its first lines
parse in another format; it changed since it was read: --reload), a
source's paths match no file, or the share of rejected lines is above
ingest.reject_threshold; 4 when another ingest of the same table runs
(unless --wait).

Example:
  ispacct ingest
  ispacct ingest --format squid /var/log/squid/access.log.2.gz /var/log/squid/access.log.1
  ispacct ingest --reload --format squid-common /var/log/squid/access.log`,
		json: true,
		flags: func(fs *flag.FlagSet) {
			opts.bind(fs, "ingest")
			fs.BoolVar(&opts.wait, "wait", false, "wait for another ingest of the same table instead of exiting with code 4")
			fs.BoolVar(&opts.reload, "reload", false, "with --format: replace what was loaded from the FILEs by what they hold now, in one transaction")
		},
		run: func(ctx context.Context, a *app, args []string) error {
			if opts.reload {
				return runReload(ctx, a, opts, args)
			}
			return runIngest(ctx, a, opts, args)
		},
	}
}

// resolve says what to read: files from the command line, or the
// configured sources' files.
func (s *sourceArgs) resolve(cfg *config.Config, files []string) (_ []ingest.Source, err error) {
	if s.format != "" || len(files) > 0 {
		if s.format == "" {
			return nil, usagef("files on the command line need --format (one of %s)", strings.Join(config.FormatNames(), ", "))
		}
		if _, ok := parsers.LookupFormat(s.format); !ok {
			return nil, usagef("--format %q: unknown (known: %s)", s.format, strings.Join(config.FormatNames(), ", "))
		}
		if len(files) == 0 {
			return nil, usagef("--format %s: name the files to read", s.format)
		}
		if len(s.sources) > 0 {
			return nil, usagef("--source and files on the command line exclude each other")
		}
		abs := make([]string, len(files))
		for i, f := range files {
			// Absolute: rejects, the ledger and messages name one file,
			// whatever folder the next command runs in.
			if abs[i], err = filepath.Abs(f); err != nil {
				return nil, usagef("%s: %v", f, err)
			}
		}
		src := ingest.Source{Name: s.format, Format: s.format, Files: abs, VHost: s.vhost}
		if err := ingest.CheckSource(src); err != nil {
			return nil, usagef("%v", err)
		}
		return []ingest.Source{src}, nil
	}
	if len(cfg.Sources) == 0 {
		return nil, usagef("no sources configured: add [[source]] to the configuration, or name files with --format FORMAT FILE...")
	}
	srcs, err := ingest.Sources(cfg, s.sources)
	if err != nil {
		return nil, usagef("--source: %v", err)
	}
	return srcs, nil
}

func runIngest(ctx context.Context, a *app, opts ingestOptions, args []string) error {
	srcs, err := opts.resolve(a.cfg, args)
	if err != nil {
		return err
	}
	pool, err := a.db(ctx)
	if err != nil {
		return err
	}
	opt := ingest.FromConfig(a.cfg, time.Now(), a.log)
	opt.Wait = opts.wait
	if isTerminal(a.stderr) && !a.jsonOut {
		opt.Progress = a.stderr
	}
	var results []*ingest.Result
	var partial []string
	for _, s := range srcs {
		res, err := ingest.Run(ctx, pool, s, opt)
		if res != nil {
			results = append(results, res)
		}
		if err != nil {
			if a.jsonOut {
				a.printJSON(results)
			}
			return fmt.Errorf("source %s, database %s: %w", s.Name, a.server, err)
		}
		partial = append(partial, ingest.LeftOut(s, res, opt.RejectThreshold)...)
	}
	if a.jsonOut {
		if err := a.printJSON(results); err != nil {
			return err
		}
	} else {
		for _, r := range results {
			printIngest(a, r)
		}
	}
	if len(partial) > 0 {
		return &partialError{strings.Join(partial, "; ")}
	}
	return nil
}

// ingestLine is one source's ingest in a line, as ingest, backfill and
// run print it.
func ingestLine(r *ingest.Result) string {
	return fmt.Sprintf("%s: %s read (%d unchanged), %s, %s into %s, %s, %.2f s", r.Source, plural(int64(r.Files), "file"),
		r.Unchanged, plural(r.Lines, "line"), plural(r.Rows, "row"), r.Table, plural(r.Rejects, "reject"), r.Seconds)
}

// runReload loads the files named with --format again (ingest.Reload).
func runReload(ctx context.Context, a *app, opts ingestOptions, args []string) error {
	srcs, err := opts.resolve(a.cfg, args)
	if err != nil {
		return err
	}
	if len(srcs) != 1 || len(srcs[0].Globs) > 0 {
		return usagef("--reload needs --format FORMAT and the files to load again")
	}
	pool, err := a.db(ctx)
	if err != nil {
		return err
	}
	opt := ingest.FromConfig(a.cfg, time.Now(), a.log)
	opt.Wait = opts.wait
	r, err := ingest.Reload(ctx, pool, srcs[0], opt)
	if err != nil {
		return fmt.Errorf("reload, database %s: %w", a.server, err)
	}
	if a.jsonOut {
		return a.printJSON(r)
	}
	fmt.Fprint(a.stdout, r.Summary())
	return nil
}

func printIngest(a *app, r *ingest.Result) {
	fmt.Fprintln(a.stdout, ingestLine(r))
	if len(r.Days) > 0 {
		fmt.Fprintf(a.stdout, "  days: %s\n", strings.Join(r.Days, ", "))
	}
	type rc struct {
		reason string
		n      int64
	}
	var top []rc
	for reason, n := range r.Reasons {
		top = append(top, rc{reason, n})
	}
	sort.Slice(top, func(i, j int) bool {
		return top[i].n > top[j].n || top[i].n == top[j].n && top[i].reason < top[j].reason
	})
	for i, t := range top {
		if i == 5 {
			break
		}
		fmt.Fprintf(a.stdout, "  rejects: %d × %s\n", t.n, t.reason)
	}
	for _, fe := range r.FileErrors {
		fmt.Fprintf(a.stdout, "  not read: %s at offset %d: %s\n", fe.Path, fe.Offset, fe.Err)
	}
}

// multiFlag is a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }

// isTerminal reports whether w is a terminal (progress lines are for
// people, not for pipes, cron mail or the scheduler).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
