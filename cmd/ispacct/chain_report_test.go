package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/ispacct/ispacct/schema/pgtest"
)

// TestChainArchiveIsReports: the archive 'ispacct run' (and so the
// daemon) writes for a day and a month is, byte for byte, the one 'ispacct
// report' writes for it, raw sheets and monthly .asc files included: both
// take their options from the one report.FromConfig.
func TestChainArchiveIsReports(t *testing.T) {
	dir := isolate(t)
	db := pgtest.New(t)
	t.Setenv("ISPACCT_TIMEZONE", "Europe/Berlin")
	fixtures, _ := filepath.Abs(filepath.Join(origWD, "../../fixtures"))
	cfg := filepath.Join(dir, "ispacct.toml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`[ingest]
max_age_days = 100000
[[source]]
name = "squid"
format = "squid"
paths = [%q]
[[source]]
name = "web"
format = "apache-vhost"
paths = [%q]
[[source]]
name = "mail"
format = "postfix"
paths = [%q]
[report]
out_dir = "out"
raw_sheets = true
monthly_raw_asc = true
`, filepath.Join(fixtures, "squid", "access.log"), filepath.Join(fixtures, "apache", "sample.log"),
		filepath.Join(fixtures, "postfix", "sample.log"))), 0o644)
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
