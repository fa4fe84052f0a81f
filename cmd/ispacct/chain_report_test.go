package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestChainArchiveIsReports: the archive 'ispacct run' (and so the
// daemon) writes for a day and a month is, byte for byte, the one 'ispacct
// report' writes for it, raw sheets and monthly .asc files included: both
// take their options from the one report.FromConfig.
func TestChainArchiveIsReports(t *testing.T) {
	dir, db := withDB(t)
	cfg := filepath.Join(dir, "ispacct.toml")
	os.WriteFile(cfg, []byte(anyAge+
		source("squid", "squid", filepath.Join(fixturesDir, "squid", "access.log"))+
		source("web", "apache-vhost", filepath.Join(fixturesDir, "apache", "sample.log"))+
		source("mail", "postfix", filepath.Join(fixturesDir, "postfix", "sample.log"))+
		"[report]\nout_dir = \"out\"\nraw_sheets = true\nmonthly_raw_asc = true\n"), 0o644)
	base := []string{"--config", cfg, "--db", db.ConnString}
	cmd := func(args ...string) {
		t.Helper()
		if code, out, stderr := ispacct(t, append(args, base...)...); code != 0 {
			t.Fatalf("ispacct %v: exit %d\n%s%s", args, code, out, stderr)
		}
	}
	cmd("run", "daily", "--date", "2026-11-21")
	cmd("run", "monthly", "--month", "2026-11")
	byReport := filepath.Join(dir, "by-report")
	cmd("report", "--from", "2026-11-21", "--out", byReport)
	cmd("report", "--period", "month", "--from", "2026-11-01", "--out", byReport)

	for _, name := range []string{"acct-2026-11-21.zip", "acct-2026-11.zip"} {
		chain, err := os.ReadFile(filepath.Join(dir, "out", name))
		if err != nil {
			t.Fatal(err)
		}
		report, err := os.ReadFile(filepath.Join(byReport, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(chain, report) {
			t.Errorf("%s: the chain wrote %d bytes, 'ispacct report' %d: they must be the same archive", name, len(chain), len(report))
		}
	}
}
