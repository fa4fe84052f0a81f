package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ispacct/ispacct/schema/pgtest"
)

// TestReportLeavesNoTemporaryFiles: a report stopped by SIGTERM removes
// its temporary archive and workbook spool on the way out; one killed by
// SIGKILL leaves them, and the next run removes them.
func TestReportLeavesNoTemporaryFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the binary; not in -short")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	live := rotatedSet(t, dir, 60000)
	cfg := filepath.Join(dir, "ispacct.toml")
	os.WriteFile(cfg, []byte("timezone = \"Europe/Berlin\"\n"+anyAge+source("squid", "squid", live+"*")+"[report]\nout_dir = \"out\"\n"), 0o644)
	db := pgtest.New(t)
	out, state := filepath.Join(dir, "out"), filepath.Join(dir, "state")
	command := func(args ...string) *exec.Cmd {
		cmd := exec.Command(bin, append(args, "--config", cfg, "--db", db.ConnString, "--log-level", "error")...)
		cmd.Env = append(os.Environ(), "ISPACCT_STATE_DIR="+state)
		return cmd
	}
	if b, err := command("ingest").CombinedOutput(); err != nil && !isExit(err, exitPartial) {
		t.Fatalf("ingest: %v\n%s", err, b)
	}
	// leftovers lists the temporary files: hidden ones in out_dir, and
	// anything under state_dir/tmp.
	leftovers := func() []string {
		var found []string
		hidden, _ := filepath.Glob(filepath.Join(out, ".*"))
		found = append(found, hidden...)
		filepath.WalkDir(filepath.Join(state, "tmp"), func(p string, d os.DirEntry, err error) error {
			if err == nil && p != filepath.Join(state, "tmp") {
				found = append(found, p)
			}
			return nil
		})
		return found
	}
	report := func(sig syscall.Signal) {
		t.Helper()
		cmd := command("report", "--from", "2026-11-20", "--to", "2026-11-21")
		var b bytes.Buffer
		cmd.Stdout, cmd.Stderr = &b, &b
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		// Both are there while the workbook is built: it is written into
		// the archive's temporary file.
		deadline := time.Now().Add(2 * time.Minute)
		for {
			var tmpZip, spool bool
			for _, p := range leftovers() {
				tmpZip = tmpZip || strings.Contains(p, ".zip.tmp-")
				spool = spool || strings.HasPrefix(p, filepath.Join(state, "tmp")+"/")
			}
			if tmpZip && spool {
				break
			}
			select {
			case err := <-exited:
				t.Fatalf("the report ended (%v) before it could be stopped\n%s", err, b.String())
			case <-time.After(2 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				t.Fatal("no temporary files seen in 2 minutes")
			}
		}
		cmd.Process.Signal(sig)
		err := <-exited
		t.Logf("%v: %v", sig, err)
	}

	report(syscall.SIGTERM)
	if left := leftovers(); len(left) > 0 {
		t.Errorf("after SIGTERM: %q left", left)
	}

	report(syscall.SIGKILL)
	left := leftovers()
	if len(left) == 0 {
		t.Fatal("SIGKILL left nothing: the test did not kill a build")
	}
	t.Logf("SIGKILL left %d temporary file(s)", len(left))
	if b, err := command("report", "--from", "2026-11-20", "--to", "2026-11-21").CombinedOutput(); err != nil {
		t.Fatalf("report after the kill: %v\n%s", err, b)
	}
	if left := leftovers(); len(left) > 0 {
		t.Errorf("the next run left %q", left)
	}
	archives, _ := filepath.Glob(filepath.Join(out, "acct-*.zip"))
	if len(archives) != 2 {
		t.Errorf("archives %q, want one for each of the two days", archives)
	}
}
