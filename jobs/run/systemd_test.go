package run

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// exposure runs systemd-analyze security on a unit file, offline, and
// returns the rating it gives ("OK", "MEDIUM", ...) and its output.
func exposure(t *testing.T, unit string) (rating, out string) {
	t.Helper()
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("systemd-analyze missing: make test-deps installs it")
		}
		t.Skip("needs systemd-analyze (apt-get install systemd)")
	}
	abs, err := filepath.Abs(unit)
	if err != nil {
		t.Fatal(err)
	}
	b, err := exec.Command("systemd-analyze", "security", "--offline=yes", "--no-pager", abs).CombinedOutput()
	out = string(b)
	m := regexp.MustCompile(`Overall exposure level for \S+: ([0-9.]+) (\w+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("systemd-analyze security %s: %v, no rating in:\n%s", unit, err, out)
	}
	t.Logf("%s: exposure %s %s", filepath.Base(unit), m[1], m[2])
	return m[2], out
}

// goodRatings are systemd's ratings of "OK" or better.
var goodRatings = map[string]bool{"PERFECT": true, "SAFE": true, "OK": true}

// TestUnitsHardened: the daemon's and the timers' units rate "OK" or
// better, and give ispacct no capabilities.
func TestUnitsHardened(t *testing.T) {
	for _, unit := range []string{"ispacct.service", "ispacct-daily.service", "ispacct-monthly.service"} {
		t.Run(unit, func(t *testing.T) {
			path := filepath.Join("systemd", unit)
			rating, out := exposure(t, path)
			if !goodRatings[rating] {
				t.Errorf("%s rates %s, want OK or better:\n%s", unit, rating, out)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			for _, line := range []string{"CapabilityBoundingSet=\n", "User=ispacct\n", "StateDirectory=ispacct\n", "NoNewPrivileges=yes\n", "ProtectSystem=strict\n", "PrivateTmp=yes\n"} {
				if !strings.Contains(string(b), "\n"+line) {
					t.Errorf("%s lacks %q", unit, strings.TrimSpace(line))
				}
			}
		})
	}
}
