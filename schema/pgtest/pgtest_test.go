package pgtest_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ispacct/ispacct/schema"
	"github.com/ispacct/ispacct/schema/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// childEnv tells this test binary, run again by TestLastUserStops, to be
// one of the test processes sharing a cluster.
const childEnv = "PGTEST_CHILD"

// TestLastUserStops: the shared cluster under the temporary folder runs
// while any test process uses it and is stopped by the last one to end.
// Two processes of this binary share one in a folder of the test's own:
// one holds a database until told to finish, the other comes and goes.
func TestLastUserStops(t *testing.T) {
	if dir := os.Getenv(childEnv); dir != "" {
		child(t, dir)
		return
	}
	if _, err := schema.BinDir(); err != nil && os.Getenv("CI") != "true" {
		t.Skipf("needs PostgreSQL: %v", err)
	}
	// Not t.TempDir, whose parent is closed to others: as root the server
	// runs as postgres, which must pass through, else the cluster would
	// live in /var/lib/ispacct and stay there.
	tmp, err := os.MkdirTemp("", "pgtest-stop-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(tmp) })
	if err := os.Chmod(tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	cluster := &schema.Cluster{StateDir: filepath.Join(tmp, fmt.Sprintf("ispacct-pgtest-%d", os.Getuid())), Log: pgtest.Log()}
	t.Cleanup(func() { cluster.Stop(t.Context()) })
	running := func() bool {
		t.Helper()
		st, err := cluster.Status()
		if err != nil {
			t.Fatal(err)
		}
		return st.Running
	}
	start := func(role string) (*exec.Cmd, *strings.Builder) {
		t.Helper()
		dir := filepath.Join(tmp, role)
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		var out strings.Builder
		cmd := exec.Command(os.Args[0], "-test.run=^TestLastUserStops$", "-test.count=1")
		cmd.Env = append(os.Environ(), childEnv+"="+dir, "TMPDIR="+tmp, "ISPACCT_TEST_STATE=", "ISPACCT_TEST_DATABASE_URL=")
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd, &out
	}
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for end := time.Now().Add(2 * time.Minute); !ok(); time.Sleep(50 * time.Millisecond) {
			if time.Now().After(end) {
				t.Fatalf("timed out waiting for %s", what)
			}
		}
	}
	exists := func(p string) func() bool {
		return func() bool { _, err := os.Stat(p); return err == nil }
	}

	holder, holderOut := start("holder")
	waitFor("the holder's database", exists(filepath.Join(tmp, "holder", "ready")))
	visitor, visitorOut := start("visitor")
	if err := os.WriteFile(filepath.Join(tmp, "visitor", "done"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := visitor.Wait(); err != nil {
		t.Fatalf("visitor: %v\n%s", err, visitorOut)
	}
	if !running() {
		t.Fatal("the cluster stopped while the holder still used it")
	}
	if err := os.WriteFile(filepath.Join(tmp, "holder", "done"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := holder.Wait(); err != nil {
		t.Fatalf("holder: %v\n%s", err, holderOut)
	}
	if running() {
		t.Fatal("the cluster still runs after the last test process ended")
	}
}

// child uses a database, says so in dir/ready, and ends once dir/done
// exists.
func child(t *testing.T, dir string) {
	db := pgtest.New(t)
	if n := pgtest.Count(t, db.Pool, `SELECT 1`); n != 1 {
		t.Fatalf("SELECT 1 = %d", n)
	}
	if err := os.WriteFile(filepath.Join(dir, "ready"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for end := time.Now().Add(2 * time.Minute); ; time.Sleep(50 * time.Millisecond) {
		if _, err := os.Stat(filepath.Join(dir, "done")); err == nil {
			return
		} else if !errors.Is(err, os.ErrNotExist) || time.Now().After(end) {
			t.Fatalf("waiting for %s/done: %v", dir, err)
		}
	}
}
