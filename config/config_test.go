package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestExampleLoads(t *testing.T) {
	t.Setenv("DATABASE_URL", "")
	c, err := Load("ispacct.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	if c.Loc.String() != "Europe/Berlin" || len(c.Sources) != 3 || c.Sources[0].Paths[0] != "/var/log/squid/access.log*" || c.Sources[2].Format != "postfix" {
		t.Fatalf("unexpected config: %+v", c)
	}
}

// TestSampleLoads: the configuration make run uses is valid and each of its
// sources finds its bundled log.
func TestSampleLoads(t *testing.T) {
	t.Setenv("DATABASE_URL", "")
	c, err := Load("../fixtures/sample.toml")
	if err != nil {
		t.Fatal(err)
	}
	tables := map[string]bool{}
	for _, src := range c.Sources {
		files, err := filepath.Glob(src.Paths[0])
		if err != nil || len(files) == 0 {
			t.Errorf("source %s: %q finds no file (%v)", src.Name, src.Paths[0], err)
		}
		tables[src.Format] = true
	}
	if !tables["squid"] || !tables["apache-vhost"] || !tables["postfix"] {
		t.Errorf("the sample should fill proxy, http and mta: formats %v", tables)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name, file, want string
	}{
		{"unknown key", "timezone = \"UTC\"\ncolour = \"blue\"\n", `colour: unknown key`},
		{"unknown nested key", "[ingest]\nmax_age = 3\n", `ingest.max_age: unknown key`},
		{"bad time zone", "timezone = \"Mars/Olympus\"\n", `timezone = "Mars/Olympus": not a time zone`},
		{"bad type", "[ingest]\nmax_age_days = \"ten\"\n", `max_age_days`},
		{"syntax", "timezone = \n", `line 1`},
		{"bad log format", "[log]\nformat = \"xml\"\n", `log.format = "xml": must be`},
		{"bad threshold", "[ingest]\nreject_threshold = 2.0\n", `ingest.reject_threshold = "2": must be a share`},
		{"unknown format", "[[source]]\nname = \"a\"\nformat = \"iis\"\npaths = [\"/x\"]\n", `source[0].format = "iis": unknown format`},
		{"per-vhost log without vhost", "[[source]]\nname = \"custa\"\nformat = \"apache-combined\"\npaths = [\"/x\"]\n", `source[0].vhost: missing: format apache-combined does not name the virtual host`},
		{"duplicate source", "[[source]]\nname = \"a\"\nformat = \"squid\"\npaths = [\"/x\"]\n[[source]]\nname = \"a\"\nformat = \"squid\"\npaths = [\"/y\"]\n", `source[1].name = "a": used by two sources`},
		{"bad glob", "[[source]]\nname = \"a\"\nformat = \"squid\"\npaths = [\"/x/[\"]\n", `bad glob pattern`},
		{"no paths", "[[source]]\nname = \"a\"\nformat = \"squid\"\n", `source[0].paths: missing`},
		{"state dir is a file", "state_dir = \"ispacct.toml\"\n", `state_dir = `},
		{"negative pseudonymise days", "[retention]\npseudonymise_days = -1\n", `retention.pseudonymise_days = "-1": must be 0`},
		{"pseudonymise after raw rows go", "[retention]\nraw_days = 7\npseudonymise_days = 30\n", `up to retention.raw_days`},
		{"unknown group", "[report]\ngroup = \"no-such-group-here\"\n", `report.group = "no-such-group-here": no such group`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "ispacct.toml")
			if err := os.WriteFile(p, []byte(tt.file), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Load(p)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Load error = %v, want it to contain %q", err, tt.want)
			}
			if !strings.Contains(err.Error(), p) {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
}

func TestMissingExplicitFile(t *testing.T) {
	if _, err := Load(filepath.Join(t.TempDir(), "nope.toml")); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("err = %v", err)
	}
}

func TestRelativePathsAndEnv(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "c.toml")
	os.WriteFile(p, []byte("state_dir = \"st\"\n[[source]]\nname = \"s\"\nformat = \"squid\"\npaths = [\"logs/access.log*\"]\n[database]\nurl = \"postgres://file\"\n"), 0o644)
	t.Setenv("DATABASE_URL", "postgres://env")
	c, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if c.StateDir != filepath.Join(dir, "st") || c.Sources[0].Paths[0] != filepath.Join(dir, "logs/access.log*") {
		t.Fatalf("paths not resolved against the file: %q %q", c.StateDir, c.Sources[0].Paths)
	}
	if c.Database.URL != "postgres://env" {
		t.Fatalf("DATABASE_URL did not override: %q", c.Database.URL)
	}
}

func TestLocalZoneHasAName(t *testing.T) {
	t.Setenv("TZ", "America/New_York")
	t.Setenv("ISPACCT_TIMEZONE", "")
	t.Chdir(t.TempDir())
	c, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	if c.Loc.String() != "America/New_York" {
		t.Fatalf("default zone %q, want the host's name for it", c.Loc)
	}
}

func TestSchedule(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "c.toml")
	os.WriteFile(p, []byte("[schedule]\ndaily = \"23:05\"\nmetrics_file = \"m/ispacct.prom\"\ngrace = \"90s\"\n"), 0o644)
	c, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	s := c.Schedule
	if s.DailyAt != (TimeOfDay{23, 5}) || s.MonthlyAt != (TimeOfDay{3, 0}) || s.LookbackDays != 7 ||
		s.Grace.Seconds() != 90 || s.MetricsFile != filepath.Join(dir, "m/ispacct.prom") {
		t.Fatalf("schedule = %+v", s)
	}
	for _, tt := range []struct{ file, want string }{
		{"[schedule]\ndaily = \"1:30\"\n", `schedule.daily = "1:30": want a 24-hour time`},
		{"[schedule]\nmonthly = \"25:00\"\n", `schedule.monthly = "25:00"`},
		{"[schedule]\nlookback_days = 0\n", `schedule.lookback_days = "0": must be between 1 and 400`},
		{"[schedule]\ngrace = \"-1s\"\n", `schedule.grace = "-1s": must not be negative`},
		{"[schedule]\nmetrics_file = \"/tmp/x.txt\"\n", `schedule.metrics_file = "/tmp/x.txt": must end in .prom`},
	} {
		os.WriteFile(p, []byte(tt.file), 0o644)
		if _, err := Load(p); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: err = %v, want %q", tt.file, err, tt.want)
		}
	}
}

// FuzzLoad: whatever the file holds, Load returns a configuration or an
// *Error that names the file, and never panics.
func FuzzLoad(f *testing.F) {
	t0 := "timezone = \"Europe/Berlin\"\n[ingest]\nmax_age_days = 3\n[[source]]\nname = \"squid\"\nformat = \"squid\"\npaths = [\"/var/log/squid/access.log*\"]\n"
	for _, s := range []string{t0, "[mail]\nretry_min = \"-5m\"\n", "[schedule]\ndaily = \"25:00\"\n", "[[source]]\nformat = \"iis\"\n", "x = [1, \"a\"]\n"} {
		f.Add(s)
	}
	if b, err := os.ReadFile("ispacct.example.toml"); err == nil {
		f.Add(string(b))
	}
	f.Setenv("DATABASE_URL", "")
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, text string) {
		p := filepath.Join(dir, "ispacct.toml")
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := Load(p)
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) || ce.File == "" {
				t.Fatalf("error %v is no *Error naming the file", err)
			}
			return
		}
		if c.Loc == nil || c.File == "" {
			t.Fatalf("accepted a configuration without a zone or file: %+v", c)
		}
	})
}

// TestEnvironmentIsBlamed: a bad value from the environment names the
// variable, not the file it did not come from; a relative state folder
// from the environment is made absolute.
func TestEnvironmentIsBlamed(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "c.toml")
	os.WriteFile(p, []byte("timezone = \"Europe/Berlin\"\n"), 0o644)
	t.Setenv("ISPACCT_TIMEZONE", "Mars/Base")
	_, err := Load(p)
	if err == nil || !strings.Contains(err.Error(), `environment ISPACCT_TIMEZONE="Mars/Base": not a time zone`) || strings.Contains(err.Error(), p) {
		t.Fatalf("want the variable blamed, not %s: %v", p, err)
	}
	t.Setenv("ISPACCT_TIMEZONE", "")
	t.Chdir(dir)
	t.Setenv("ISPACCT_STATE_DIR", "st")
	c, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if c.StateDir != filepath.Join(dir, "st") {
		t.Fatalf("ISPACCT_STATE_DIR=st gave %q, want it absolute", c.StateDir)
	}
}
