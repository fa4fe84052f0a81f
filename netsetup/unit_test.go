package netsetup

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestUnitHardened: the boot job's unit keeps CAP_NET_ADMIN alone and
// rates "OK" or better in systemd-analyze security.
func TestUnitHardened(t *testing.T) {
	b, err := os.ReadFile("ispacct-netsetup.service")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "\nCapabilityBoundingSet=CAP_NET_ADMIN\n") {
		t.Error("the unit does not bound its capabilities to CAP_NET_ADMIN")
	}
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("systemd-analyze missing: make test-deps installs it")
		}
		t.Skip("needs systemd-analyze (apt-get install systemd)")
	}
	abs, _ := filepath.Abs("ispacct-netsetup.service")
	out, err := exec.Command("systemd-analyze", "security", "--offline=yes", "--no-pager", abs).CombinedOutput()
	m := regexp.MustCompile(`Overall exposure level for \S+: ([0-9.]+) (\w+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("systemd-analyze security: %v, no rating in:\n%s", err, out)
	}
	t.Logf("exposure %s %s", m[1], m[2])
	if r := string(m[2]); r != "OK" && r != "SAFE" && r != "PERFECT" {
		t.Errorf("rates %s, want OK or better:\n%s", r, out)
	}
}
