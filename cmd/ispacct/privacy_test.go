package main

import (
	"context"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ispacct/ispacct/schema/pgtest"
)

// asNobody runs args as user nobody in group nogroup, with no other
// groups, and says whether it succeeded.
func asNobody(t *testing.T, args ...string) bool {
	t.Helper()
	cmd := exec.Command("setpriv", append([]string{"--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"}, args...)...)
	err := cmd.Run()
	t.Logf("as nobody: %s: %v", strings.Join(args, " "), err)
	return err == nil
}

// TestBillingDataPrivate: the archive, the outbox's message (which carries
// it) and the workbook's spool are the owner's and report.group's alone.
// User nobody reads none of them; with report.group = "nogroup" it does.
func TestBillingDataPrivate(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI runs as root: this test switches to user nobody")
		}
		t.Skip("needs root to run commands as user nobody")
	}
	if _, err := exec.LookPath("setpriv"); err != nil {
		t.Skip("needs setpriv (util-linux)")
	}
	// No SMTP server listens here: the message waits in the outbox.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	sample, _ := filepath.Abs(filepath.Join(origWD, "../../fixtures"))

	for _, group := range []string{"", "nogroup"} {
		t.Run("group="+group, func(t *testing.T) {
			dir := isolate(t)
			db := pgtest.New(t)
			// nobody must be able to get as far as the folders ispacct
			// makes: all above them is open.
			for d, tmp := dir, filepath.Clean(os.TempDir()); d != tmp && d != filepath.Dir(d); d = filepath.Dir(d) {
				os.Chmod(d, 0o755)
			}
			cfg := filepath.Join(dir, "ispacct.toml")
			os.WriteFile(cfg, []byte("timezone = \"Europe/Berlin\"\n"+anyAge+source("squid", "squid", sample+"/squid/access.log*")+fmt.Sprintf(`[report]
out_dir = "out"
group = %q
[mail]
to = ["admin@cpe.example.net"]
from = "ispacct@cpe.example.net"
[mail.smtp]
host = "127.0.0.1"
port = %d
security = "none"
timeout = "5s"
`, group, port)), 0o644)
			base := []string{"--config", cfg, "--db", db.ConnString}
			for _, s := range [][]string{{"ingest"}, {"deliver", "--from", "2026-11-21"}} {
				if code, out, stderr := ispacct(t, append(s, base...)...); code != 0 && code != exitPartial {
					t.Fatalf("ispacct %v: exit %d\n%s%s", s, code, out, stderr)
				}
			}
			state := filepath.Join(dir, "state")
			var files []string
			for _, root := range []string{filepath.Join(dir, "out"), state} {
				err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
					if err != nil {
						return err
					}
					fi, _ := d.Info()
					want := fs.FileMode(0o640)
					if d.IsDir() {
						want = 0o750
					} else {
						files = append(files, p)
					}
					if fi.Mode().Perm() != want {
						t.Errorf("%s: mode %o, want %o", p, fi.Mode().Perm(), want)
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			var zip, eml bool
			for _, f := range files {
				zip = zip || strings.HasSuffix(f, ".zip")
				eml = eml || strings.HasSuffix(f, ".eml")
			}
			if !zip || !eml {
				t.Fatalf("want an archive and an outbox message, found %q", files)
			}
			for _, f := range append(files, filepath.Join(dir, "out"), filepath.Join(state, "outbox")) {
				tool := "cat"
				if fi, _ := os.Stat(f); fi.IsDir() {
					tool = "ls"
				}
				read := asNobody(t, tool, f)
				if read != (group == "nogroup") {
					t.Errorf("nobody in group nogroup reads %s: %v, with report.group = %q", f, read, group)
				}
			}
		})
	}
}

// TestMaintainPseudonymise: maintain --dry-run says which rows' client
// addresses it would cut and changes none; maintain then cuts them.
func TestMaintainPseudonymise(t *testing.T) {
	dir := isolate(t)
	db := pgtest.New(t)
	t.Setenv("ISPACCT_TIMEZONE", "Europe/Berlin")
	log := filepath.Join(dir, "access.log")
	os.WriteFile(log, []byte("1795215541.000 1 10.4.24.77 TCP_MISS/200 1 GET http://a/ - HIER_NONE/- -\n"), 0o644)
	cfg := filepath.Join(dir, "ispacct.toml")
	os.WriteFile(cfg, []byte("[ingest]\nmax_age_days = 100000\n[retention]\npseudonymise_days = 7\n"), 0o644)
	base := []string{"--config", cfg, "--db", db.ConnString}
	if code, out, stderr := ispacct(t, append([]string{"ingest", "--format", "squid", log}, base...)...); code != 0 {
		t.Fatalf("ingest: %d %s%s", code, out, stderr)
	}
	address := func() string {
		var ip string
		db.Pool.QueryRow(context.Background(), `SELECT ip_client::text FROM proxy`).Scan(&ip)
		return ip
	}
	code, out, _ := ispacct(t, append([]string{"maintain", "--dry-run"}, base...)...)
	if code != 0 || !strings.Contains(out, "would pseudonymise 1 row of days") || !strings.Contains(out, "proxy_p20261120") {
		t.Fatalf("maintain --dry-run: exit %d\n%s", code, out)
	}
	t.Logf("dry run:\n%s", out)
	if ip := address(); ip != "10.4.24.77/32" {
		t.Fatalf("the dry run changed the address to %s", ip)
	}
	if code, out, stderr := ispacct(t, append([]string{"maintain"}, base...)...); code != 0 {
		t.Fatalf("maintain: exit %d\n%s%s", code, out, stderr)
	}
	if ip := address(); ip != "10.4.24.0/24" {
		t.Fatalf("after maintain the address is %s, want 10.4.24.0/24", ip)
	}
}
