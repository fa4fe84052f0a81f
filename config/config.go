// Package config reads and validates ispacct's one configuration file.
//
// The file is TOML. Unknown keys, bad time zones, bad paths and bad values
// are refused with the key, the value and why; relative paths are taken
// relative to the file's folder. The environment overrides the database
// (DATABASE_URL) and secrets, so they need not be written into the file.
package config

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/ispacct/ispacct/parsers"
)

// DefaultPaths are tried in order when --config is not given.
var DefaultPaths = []string{"ispacct.toml", "/etc/ispacct/ispacct.toml"}

// Config is the whole configuration, with defaults filled in.
type Config struct {
	Timezone string `toml:"timezone"`
	StateDir string `toml:"state_dir"`

	Database  Database  `toml:"database"`
	Log       Log       `toml:"log"`
	Ingest    Ingest    `toml:"ingest"`
	Sources   []Source  `toml:"source"`
	Report    Report    `toml:"report"`
	Netsetup  Netsetup  `toml:"netsetup"`
	Rollup    Rollup    `toml:"rollup"`
	Retention Retention `toml:"retention"`
	Mail      Mail      `toml:"mail"`
	Schedule  Schedule  `toml:"schedule"`
	Web       Web       `toml:"web"`

	// Loc is Timezone, loaded.
	Loc *time.Location `toml:"-"`
	// File is the file the configuration came from, empty for none.
	File string `toml:"-"`
	// env names the environment variable that set a key, so an error
	// blames the variable and not the file.
	env map[string]string
}

// Database selects the PostgreSQL server.
type Database struct {
	// URL of the server; empty means DATABASE_URL, the PG* variables, or
	// else the private cluster under StateDir.
	URL string `toml:"url"`
}

// Log sets how ispacct logs.
type Log struct {
	Format string `toml:"format"` // text or json
	Level  string `toml:"level"`  // debug, info, warn, error
}

// Ingest tunes loading.
type Ingest struct {
	// MaxAgeDays: rows older than this many days before now are rejected
	// as clock errors (backfill names its own range).
	MaxAgeDays int `toml:"max_age_days"`
	// FutureMinutes: rows more than this far in the future are rejected.
	FutureMinutes int `toml:"future_minutes"`
	// RejectThreshold is the share of rejected lines (0..1) above which a
	// run ends with exit code 3 (partly done).
	RejectThreshold float64 `toml:"reject_threshold"`
	// BatchKB bounds the rows committed in one transaction.
	BatchKB int `toml:"batch_kb"`
}

// Source is one set of log files of one format.
type Source struct {
	Name   string   `toml:"name"`
	Format string   `toml:"format"`
	Paths  []string `toml:"paths"` // globs, e.g. /var/log/squid/access.log*
	VHost  string   `toml:"vhost"` // per-virtual-host Apache logs: the vhost of these files
}

// Rollup tunes the aggregates.
type Rollup struct {
	// LocalDomains are the mail domains this box serves: mail to them is
	// "in", mail from them "out". Empty: local transports decide.
	LocalDomains []string `toml:"local_domains"`
}

// Retention says how long data is kept, in days; 0 keeps it for ever.
type Retention struct {
	RawDays       int `toml:"raw_days"`
	AggregateDays int `toml:"aggregate_days"`
	// PseudonymiseDays: after this many days the client addresses of raw
	// rows are cut to their /24 (IPv6: /48) and rejected log lines
	// deleted; 0 keeps them whole.
	PseudonymiseDays int `toml:"pseudonymise_days"`
}

// Netsetup says where the VLAN list is and which NIC carries the VLANs.
type Netsetup struct {
	VLANConfig string `toml:"vlan_config"`
	Parent     string `toml:"parent"`
}

// Report sets where archives go and what they hold.
type Report struct {
	OutDir string `toml:"out_dir"`
	// RawSheets puts the raw rows into the workbook as well.
	RawSheets bool `toml:"raw_sheets"`
	// MonthlyRawASC keeps the raw .asc files in monthly archives.
	MonthlyRawASC bool `toml:"monthly_raw_asc"`
	// Group may read archives, the outbox and the state folder, besides
	// their owner; empty: the owner alone.
	Group string `toml:"group"`
	// GID is Group's id, 0 for none.
	GID int `toml:"-"`
}

// Default returns the configuration used when no file is given.
func Default() *Config {
	return &Config{
		Timezone: "Local",
		StateDir: "/var/lib/ispacct",
		Log:      Log{Format: "text", Level: "info"},
		Ingest:   Ingest{MaxAgeDays: 400, FutureMinutes: 60 * 24, RejectThreshold: 0.01, BatchKB: 8192},
		Report:   Report{OutDir: "/var/lib/ispacct/archive", RawSheets: true, MonthlyRawASC: true},
		Netsetup: Netsetup{VLANConfig: "/usr/local/cpe/etc/vlan.config", Parent: "eth1"},
		Mail:     defaultMail(),
		Schedule: defaultSchedule(),
		Web:      defaultWeb(),
	}
}

// Error is a configuration problem: the file, the key, the value and why.
type Error struct {
	File, Key, Value, Why string
	// Env is the environment variable the value came from, if it did.
	Env string
}

func (e *Error) Error() string {
	if e.Env != "" {
		if e.Value == "" {
			return fmt.Sprintf("environment %s: %s", e.Env, e.Why)
		}
		return fmt.Sprintf("environment %s=%s: %s", e.Env, e.Value, e.Why)
	}
	where := "config"
	if e.File != "" {
		where = fmt.Sprintf("config %q", e.File)
	}
	if e.Key == "" {
		return fmt.Sprintf("%s: %s", where, e.Why)
	}
	if e.Value == "" {
		return fmt.Sprintf("%s: %s: %s", where, e.Key, e.Why)
	}
	return fmt.Sprintf("%s: %s = %s: %s", where, e.Key, e.Value, e.Why)
}

// Load reads the file at path, or with path empty the first of
// DefaultPaths that exists, or else returns the defaults. Environment
// overrides are applied and the result validated.
func Load(path string) (*Config, error) {
	explicit := path != ""
	if !explicit {
		for _, p := range DefaultPaths {
			if _, err := os.Stat(p); err == nil {
				path = p
				break
			}
		}
	}
	c := Default()
	if path != "" {
		if err := c.read(path, explicit); err != nil {
			return nil, err
		}
	}
	c.applyEnv()
	if err := c.validate(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Config) read(path string, explicit bool) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return &Error{File: path, Why: err.Error()}
	}
	c.File = abs
	md, err := toml.DecodeFile(abs, c)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) && explicit {
			return &Error{File: path, Why: "file does not exist"}
		}
		var perr toml.ParseError
		if errors.As(err, &perr) {
			return &Error{File: path, Why: fmt.Sprintf("line %d: %s", perr.Position.Line, perr.Message)}
		}
		return &Error{File: path, Why: err.Error()}
	}
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = k.String()
		}
		sort.Strings(keys)
		return &Error{File: path, Key: keys[0], Why: fmt.Sprintf("unknown key (all unknown: %s)", strings.Join(keys, ", "))}
	}
	// Relative paths are relative to the file, not to wherever cron runs us.
	dir := filepath.Dir(abs)
	c.StateDir = resolve(dir, c.StateDir)
	c.Report.OutDir = resolve(dir, c.Report.OutDir)
	c.Netsetup.VLANConfig = resolve(dir, c.Netsetup.VLANConfig)
	for i := range c.Sources {
		for j, p := range c.Sources[i].Paths {
			c.Sources[i].Paths[j] = resolve(dir, p)
		}
	}
	return nil
}

func resolve(dir, p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}

func (c *Config) applyEnv() {
	c.env = map[string]string{}
	if v := os.Getenv("DATABASE_URL"); v != "" {
		c.Database.URL = v
		c.env["database.url"] = "DATABASE_URL"
	}
	if v := os.Getenv("ISPACCT_STATE_DIR"); v != "" {
		// Absolute, so messages and the private cluster name one folder
		// whatever the working directory of a later run.
		if abs, err := filepath.Abs(v); err == nil {
			v = abs
		}
		c.StateDir = v
		c.env["state_dir"] = "ISPACCT_STATE_DIR"
	}
	if v := os.Getenv("ISPACCT_TIMEZONE"); v != "" {
		c.Timezone = v
		c.env["timezone"] = "ISPACCT_TIMEZONE"
	}
	if v := os.Getenv("ISPACCT_SMTP_PASSWORD"); v != "" {
		c.Mail.SMTP.Password = v
	}
}

// Flag names the configuration file in a command line for the
// administrator to run (' --config "/etc/…"'), or is empty when ispacct
// finds the file by itself.
func (c *Config) Flag() string {
	if c.File == "" || slices.Contains(DefaultPaths, c.File) {
		return ""
	}
	return fmt.Sprintf(" --config %q", c.File)
}

// EnvOf names the environment variable that set key, or "" if the file
// or a default did.
func (c *Config) EnvOf(key string) string { return c.env[key] }

func (c *Config) fail(key, value, why string) error {
	if value != "" {
		value = fmt.Sprintf("%q", value)
	}
	return &Error{File: c.File, Key: key, Value: value, Why: why, Env: c.env[key]}
}

func (c *Config) validate() error {
	if c.Timezone == "Local" {
		c.Timezone = systemZone()
	}
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil || c.Timezone == "" {
		return c.fail("timezone", c.Timezone, "not a time zone name like \"Europe/Berlin\" or \"UTC\"")
	}
	c.Loc = loc
	if !filepath.IsAbs(c.StateDir) {
		abs, err := filepath.Abs(c.StateDir)
		if err != nil {
			return c.fail("state_dir", c.StateDir, err.Error())
		}
		c.StateDir = abs
	}
	if err := notAFile("state_dir", c.StateDir, c); err != nil {
		return err
	}
	if err := notAFile("report.out_dir", c.Report.OutDir, c); err != nil {
		return err
	}
	if err := c.lookupGroup(); err != nil {
		return err
	}
	if c.Netsetup.Parent == "" || strings.ContainsAny(c.Netsetup.Parent, " /.") || len(c.Netsetup.Parent) > 10 {
		return c.fail("netsetup.parent", c.Netsetup.Parent, "not an interface name like eth1 (no dot, at most 10 characters so that <parent>.<vlan> fits)")
	}
	if c.Retention.RawDays < 0 {
		return c.fail("retention.raw_days", fmt.Sprint(c.Retention.RawDays), "must be 0 (keep all) or a number of days")
	}
	if c.Retention.AggregateDays < 0 || (c.Retention.AggregateDays > 0 && c.Retention.RawDays == 0) ||
		(c.Retention.AggregateDays > 0 && c.Retention.AggregateDays < c.Retention.RawDays) {
		return c.fail("retention.aggregate_days", fmt.Sprint(c.Retention.AggregateDays),
			"must be 0 (keep all) or at least retention.raw_days: aggregates are what is left of old raw rows")
	}
	if p := c.Retention.PseudonymiseDays; p < 0 || (c.Retention.RawDays > 0 && p > c.Retention.RawDays) {
		return c.fail("retention.pseudonymise_days", fmt.Sprint(p),
			"must be 0 (keep addresses whole) or a number of days up to retention.raw_days: the raw rows are gone after that")
	}
	for i, d := range c.Rollup.LocalDomains {
		if d == "" || strings.ContainsAny(d, "@ \t") || d != strings.ToLower(d) {
			return c.fail(fmt.Sprintf("rollup.local_domains[%d]", i), d, "want a lower-case domain name like example.com")
		}
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		return c.fail("log.format", c.Log.Format, "must be \"text\" or \"json\"")
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		return c.fail("log.level", c.Log.Level, "must be debug, info, warn or error")
	}
	if c.Ingest.MaxAgeDays < 1 {
		return c.fail("ingest.max_age_days", fmt.Sprint(c.Ingest.MaxAgeDays), "must be at least 1")
	}
	if c.Ingest.FutureMinutes < 0 {
		return c.fail("ingest.future_minutes", fmt.Sprint(c.Ingest.FutureMinutes), "must not be negative")
	}
	if c.Ingest.RejectThreshold < 0 || c.Ingest.RejectThreshold > 1 {
		return c.fail("ingest.reject_threshold", fmt.Sprint(c.Ingest.RejectThreshold), "must be a share between 0 and 1")
	}
	if c.Ingest.BatchKB < 16 || c.Ingest.BatchKB > 1<<20 {
		return c.fail("ingest.batch_kb", fmt.Sprint(c.Ingest.BatchKB), "must be between 16 and 1048576")
	}
	names := map[string]bool{}
	for i, s := range c.Sources {
		key := fmt.Sprintf("source[%d]", i)
		if s.Name == "" {
			return c.fail(key+".name", "", "missing: every source needs a name")
		}
		if names[s.Name] {
			return c.fail(key+".name", s.Name, "used by two sources")
		}
		names[s.Name] = true
		f, ok := parsers.LookupFormat(s.Format)
		if !ok {
			return c.fail(key+".format", s.Format, "unknown format (known: "+strings.Join(FormatNames(), ", ")+")")
		}
		if f.NeedsVHost() && s.VHost == "" {
			return c.fail(key+".vhost", "", "missing: format "+s.Format+" does not name the virtual host in its lines; "+
				"set vhost = \"www.example.org\" (the site these files log), or use apache-vhost for vhost_combined logs")
		}
		if len(s.Paths) == 0 {
			return c.fail(key+".paths", "", "missing: name at least one file or glob")
		}
		for _, p := range s.Paths {
			if _, err := filepath.Match(p, ""); err != nil {
				return c.fail(key+".paths", p, "bad glob pattern")
			}
		}
	}
	if err := c.validateSchedule(); err != nil {
		return err
	}
	if err := c.validateWeb(); err != nil {
		return err
	}
	return c.validateMail()
}

func notAFile(key, path string, c *Config) error {
	if fi, err := os.Stat(path); err == nil && !fi.IsDir() {
		return c.fail(key, path, "is a file, not a folder")
	}
	return nil
}

// FormatNames lists the log formats a source may name.
func FormatNames() []string {
	names := make([]string, 0, len(parsers.Formats))
	for _, f := range parsers.Formats {
		names = append(names, f.Name)
	}
	return names
}

// Source returns the source with the given name.
func (c *Config) Source(name string) (Source, bool) {
	for _, s := range c.Sources {
		if s.Name == name {
			return s, true
		}
	}
	return Source{}, false
}

func (c *Config) lookupGroup() error {
	if c.Report.Group == "" {
		return nil
	}
	g, err := user.LookupGroup(c.Report.Group)
	if err != nil {
		return c.fail("report.group", c.Report.Group, "no such group (getent group names them)")
	}
	gid, err := strconv.Atoi(g.Gid)
	if err != nil || gid <= 0 {
		return c.fail("report.group", c.Report.Group, "want a group other than root's")
	}
	c.Report.GID = gid
	return nil
}
