package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ispacct/ispacct/config"
	"github.com/ispacct/ispacct/lock"
	"github.com/ispacct/ispacct/schema"
)

// Exit codes, the same for every command (docs/DESIGN.md, "Exit codes").
const (
	exitOK      = 0
	exitFailed  = 1 // failed, nothing half-written
	exitUsage   = 2 // usage or configuration error
	exitPartial = 3 // partly done: the summary says what
	exitLocked  = 4 // another run holds the lock
)

// usageError is a bad flag, argument or date.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// partialError: the command did what it could; something was left out.
type partialError struct{ msg string }

func (e *partialError) Error() string { return e.msg }

// command is one subcommand. Each is made by its newXCommand constructor,
// which binds the flags into an options struct and hands them to a plain
// runX function that tests can call too.
type command struct {
	name    string
	args    string // synopsis after the name
	summary string
	help    string // what it does, and an example
	json    bool   // takes --json
	// noConfig: runs without loading the configuration (version).
	noConfig bool
	// flags binds the command's own flags.
	flags func(fs *flag.FlagSet)
	run   func(ctx context.Context, a *app, args []string) error
}

// commands makes every subcommand afresh, so no flag value outlives one
// invocation.
func commands() []*command {
	return []*command{
		newBackfillCommand(),
		newConfigCommand(),
		newDaemonCommand(),
		newDBCommand(),
		newDeliverCommand(),
		newIngestCommand(),
		newLandefsCommand(),
		newMaintainCommand(),
		newNetsetupCommand(),
		newOutboxCommand(),
		newParseCommand(),
		newRejectsCommand(),
		newReportCommand(),
		newResendCommand(),
		newRollupCommand(),
		newRunCommand(),
		newStatusCommand(),
		newVersionCommand(),
		newWebCommand(),
	}
}

// app is what every command shares: output, the configuration, a logger,
// and the database once opened.
type app struct {
	stdout, stderr io.Writer

	configPath string
	dbURL      string
	logFormat  string
	logLevel   string
	jsonOut    bool

	cfg    *config.Config
	log    *slog.Logger
	pool   *pgxpool.Pool
	server string // the database, named for messages
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	a := &app{stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		// No command is a usage error, as for git: a script that lost its
		// argument must not pass.
		a.usage(stderr)
		return exitUsage
	}
	if args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		if len(args) == 1 {
			a.usage(stdout)
			return exitOK
		}
		args = []string{args[1], "-h"}
	}
	if args[0] == "--version" {
		args[0] = "version"
	}
	var cmd *command
	for _, c := range commands() {
		if c.name == args[0] {
			cmd = c
		}
	}
	if cmd == nil {
		fmt.Fprintf(stderr, "ispacct: unknown command %q\n\n", args[0])
		a.usage(stderr)
		return exitUsage
	}
	fs := flag.NewFlagSet("ispacct "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	if !cmd.noConfig {
		fs.StringVar(&a.configPath, "config", "", "configuration `file` (default ./ispacct.toml, then /etc/ispacct/ispacct.toml)")
		fs.StringVar(&a.dbURL, "db", "", "PostgreSQL server `URL` (default: DATABASE_URL, PG* variables, or the private cluster)")
		fs.StringVar(&a.logFormat, "log-format", "", "log format: text or json (default from the configuration: text)")
		fs.StringVar(&a.logLevel, "log-level", "", "log level: debug, info, warn or error")
	}
	if cmd.json {
		fs.BoolVar(&a.jsonOut, "json", false, "print the result as JSON, for scripts")
	}
	if cmd.flags != nil {
		cmd.flags(fs)
	}
	usage := func(w io.Writer) {
		fmt.Fprintf(w, "Usage: ispacct %s\n\n%s\n", strings.TrimSpace(cmd.name+" "+cmd.args), strings.TrimSpace(cmd.help))
		if !cmd.noConfig {
			fmt.Fprint(w, "\nFlags:\n")
			fs.SetOutput(w)
			fs.PrintDefaults()
		}
	}
	fs.Usage = func() {} // printed below, to stdout when asked for
	positional, err := parseInterspersed(fs, args[1:])
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage(stdout)
			return exitOK
		}
		fmt.Fprintf(stderr, "(see 'ispacct %s -h')\n", cmd.name)
		return exitUsage
	}
	if !cmd.noConfig {
		err = a.start()
	}
	if err == nil {
		err = cmd.run(ctx, a, positional)
	}
	if a.pool != nil {
		a.pool.Close()
	}
	return a.exit(cmd, err)
}

// start loads the configuration and sets up logging.
func (a *app) start() error {
	cfg, err := config.Load(a.configPath)
	if err != nil {
		return err
	}
	a.cfg = cfg
	format, level := cfg.Log.Format, cfg.Log.Level
	if a.logFormat != "" {
		format = a.logFormat
	}
	if a.logLevel != "" {
		level = a.logLevel
	}
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return usagef("--log-level %q: must be debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		a.log = slog.New(slog.NewTextHandler(a.stderr, opts))
	case "json":
		a.log = slog.New(slog.NewJSONHandler(a.stderr, opts))
	default:
		return usagef("--log-format %q: must be text or json", format)
	}
	return nil
}

func (a *app) exit(cmd *command, err error) int {
	if err == nil {
		return exitOK
	}
	var (
		ue *usageError
		ze *schema.ZoneError
		ce *config.Error
		pe *partialError
		he *lock.HeldError
	)
	switch {
	case errors.As(err, &ue), errors.As(err, &ce), errors.As(err, &ze):
		fmt.Fprintf(a.stderr, "ispacct %s: %v\n(see 'ispacct %s -h')\n", cmd.name, err, cmd.name)
		return exitUsage
	case errors.As(err, &pe):
		fmt.Fprintf(a.stderr, "ispacct %s: partly done: %v\n", cmd.name, err)
		return exitPartial
	case errors.As(err, &he):
		fmt.Fprintf(a.stderr, "ispacct %s: %v\n", cmd.name, err)
		return exitLocked
	case errors.Is(err, context.Canceled):
		fmt.Fprintf(a.stderr, "ispacct %s: interrupted; committed work is kept, the next run goes on from there\n", cmd.name)
		return exitFailed
	default:
		fmt.Fprintf(a.stderr, "ispacct %s: %v\n", cmd.name, err)
		return exitFailed
	}
}

func (a *app) cluster() *schema.Cluster {
	return &schema.Cluster{StateDir: a.cfg.StateDir, Log: a.log}
}

// target picks the server and starts the private cluster when it is the one.
func (a *app) target(ctx context.Context) (schema.Target, error) {
	c := a.cluster()
	t, err := schema.ChooseTarget(a.dbURL, a.cfg.Database.URL, c)
	if err != nil {
		return t, err
	}
	if !t.Private {
		if _, err := pgx.ParseConfig(t.ConnString); err != nil {
			return t, a.badServer(err)
		}
	}
	return t, t.Ensure(ctx, c)
}

// badServer is a connection string pgx cannot read: a usage or
// configuration error naming where it came from. Only the cause is
// shown, not the string, which may hold a password.
func (a *app) badServer(err error) error {
	if cause := errors.Unwrap(err); cause != nil {
		err = cause
	}
	switch {
	case a.dbURL != "":
		return usagef("--db: not a PostgreSQL connection string: %v", err)
	case a.cfg.Database.URL != "":
		return &config.Error{File: a.cfg.File, Key: "database.url", Why: "not a PostgreSQL connection string: " + err.Error(),
			Env: a.cfg.EnvOf("database.url")}
	}
	return usagef("PG* variables: %v", err)
}

// db opens the database, starting the private cluster when it is the one.
func (a *app) db(ctx context.Context) (*pgxpool.Pool, error) {
	if a.pool != nil {
		return a.pool, nil
	}
	t, err := a.target(ctx)
	if err != nil {
		return nil, err
	}
	pool, err := schema.Open(ctx, t.ConnString, a.cfg.Loc, a.log)
	if err != nil {
		return nil, err
	}
	a.pool, a.server = pool, describe(t.ConnString)
	return pool, nil
}

// printJSON writes v as indented JSON.
func (a *app) printJSON(v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func (a *app) usage(w io.Writer) {
	fmt.Fprint(w, `ispacct - accounting for a small ISP: proxy, web and mail logs into
PostgreSQL, archives of pipe-delimited .asc files out.

Usage: ispacct <command> [flags] [arguments]

Commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Every command takes --config FILE, --db URL, --log-format text|json and
--log-level; 'ispacct <command> -h' explains it with an example.

Exit codes: 0 done; 1 failed, nothing half-written; 2 usage or
configuration error; 3 partly done (the summary says what); 4 another run
holds the lock.
`)
}

// parseInterspersed parses flags wherever they stand among the arguments
// ("db status --json" as well as "db --json status"); "--" ends the flags.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}
