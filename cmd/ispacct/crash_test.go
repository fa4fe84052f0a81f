package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/ispacct/ispacct/schema/pgtest"
)

// buildBinary builds ispacct once for tests that run it as a process.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "ispacct")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// rotatedSet writes access.log.2.gz, access.log.1 and access.log with n
// lines each, every line with a unique size, and a few rejects.
func rotatedSet(t *testing.T, dir string, n int) string {
	t.Helper()
	live := filepath.Join(dir, "access.log")
	seq := 0
	chunk := func() []byte {
		var b bytes.Buffer
		for i := 0; i < n; i++ {
			seq++
			if seq%10007 == 0 {
				fmt.Fprintf(&b, "garbage line %d\n", seq)
				continue
			}
			fmt.Fprintf(&b, "%d.%03d %d 10.0.%d.%d TCP_MISS/200 %d GET http://x.example/%d - HIER_NONE/- text/html\n",
				1795215541+seq/1000, seq%1000, seq%3000, 2+seq%40, 2+seq%250, seq, seq)
		}
		return b.Bytes()
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(chunk())
	zw.Close()
	os.WriteFile(live+".2.gz", gz.Bytes(), 0o644)
	os.WriteFile(live+".1", chunk(), 0o644)
	os.WriteFile(live, chunk(), 0o644)
	return live
}

// fingerprintDB sums up everything ingest writes, independent of ledger ids.
func fingerprintDB(t *testing.T, db *pgtest.DB) string {
	t.Helper()
	var rows, rejects int64
	var proxyMD5, ledger string
	ctx := context.Background()
	err := db.Pool.QueryRow(ctx, `SELECT count(*), md5(string_agg(concat_ws('|', lan_name, ip_client, url, zeit, size, status,
		methode, elapsed_ms, ident, hierarchy, mime, src_line), E'\n' ORDER BY size, src_line)) FROM proxy`).Scan(&rows, &proxyMD5)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM rejects), string_agg(concat_ws(':', encode(fingerprint, 'hex'), byte_offset, lines, rows, rejects), ',' ORDER BY fingerprint) FROM ingest_files`).Scan(&rejects, &ledger)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%d rows md5 %s, %d rejects, ledger %s", rows, proxyMD5, rejects, ledger)
}

// TestSIGKILLAnywhere kills the ingest process at random points over a
// multi-file rotated set and runs it again each time; the final tables
// equal a clean single run, row for row.
func TestSIGKILLAnywhere(t *testing.T) {
	if testing.Short() {
		t.Skip("kills a process many times; not in -short")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	live := rotatedSet(t, dir, 60000)
	cfg := filepath.Join(dir, "ispacct.toml")
	os.WriteFile(cfg, []byte("timezone = \"Europe/Berlin\"\n"+anyAge+"batch_kb = 64\n"+source("squid", "squid", live+"*")), 0o644)
	ingestCmd := func(db *pgtest.DB) *exec.Cmd {
		cmd := exec.Command(bin, "ingest", "--config", cfg, "--db", db.ConnString, "--log-level", "error")
		cmd.Env = append(os.Environ(), "ISPACCT_STATE_DIR="+filepath.Join(dir, "state"))
		return cmd
	}

	clean := pgtest.New(t)
	if out, err := ingestCmd(clean).CombinedOutput(); err != nil && !isExit(err, exitPartial) {
		t.Fatalf("clean run: %v\n%s", err, out)
	}
	want := fingerprintDB(t, clean)
	var total int64
	clean.Pool.QueryRow(context.Background(), `SELECT sum(lines) FROM ingest_files`).Scan(&total)

	// Kill points follow the load, not the clock, so their number does not
	// depend on how busy the machine is: the ledger is watched and the
	// process killed as soon as it passes each of 30 thresholds spread
	// over the data (a kill lands wherever the next batch happens to be:
	// reading, parsing, copying or committing). Every fourth run is killed
	// during start-up instead.
	crashed := pgtest.New(t)
	seed := uint64(time.Now().UnixNano())
	r := rand.New(rand.NewPCG(seed, 2))
	t.Logf("seed %d; %d lines to load", seed, total)
	var targets []int64
	for i := int64(1); i <= 30; i++ {
		targets = append(targets, i*total/31+r.Int64N(total/62))
	}
	progress := func() int64 {
		var n *int64
		crashed.Pool.QueryRow(context.Background(), `SELECT sum(lines) FROM ingest_files`).Scan(&n)
		if n == nil {
			return 0
		}
		return *n
	}
	kills, startupKills := 0, 0
	for attempt := 0; attempt < 500; attempt++ {
		done0 := progress()
		for len(targets) > 0 && targets[0] <= done0 {
			targets = targets[1:]
		}
		cmd := ingestCmd(crashed)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// exited is closed, not sent on, so that the poller and this loop
		// can both see the end.
		exited := make(chan struct{})
		var waitErr error
		go func() { waitErr = cmd.Wait(); close(exited) }()
		kill := make(chan struct{})
		switch {
		case len(targets) == 0: // the rest runs to the end
		case attempt%4 == 3:
			time.AfterFunc(time.Duration(r.IntN(60))*time.Millisecond, func() { close(kill) })
			startupKills++
		default:
			target := targets[0]
			go func() {
				for progress() < target {
					select {
					case <-exited:
						return
					case <-time.After(2 * time.Millisecond):
					}
				}
				close(kill)
			}()
		}
		select {
		case <-exited: // finished before the kill: everything is in
			if waitErr != nil && !isExit(waitErr, exitPartial) {
				t.Fatalf("run %d: %v\n%s", attempt, waitErr, out.String())
			}
			if kills < 20 {
				t.Fatalf("ingest finished after only %d kills", kills)
			}
			if got := fingerprintDB(t, crashed); got != want {
				t.Fatalf("after %d kills:\n got  %s\n want %s", kills, got, want)
			}
			t.Logf("%d SIGKILLs (%d in start-up), then a clean finish: tables equal a single run (%s)", kills, startupKills, want[:40])
			return
		case <-kill:
			cmd.Process.Signal(syscall.SIGKILL)
			<-exited
			kills++
		}
	}
	t.Fatal("ingest never finished")
}

func isExit(err error, code int) bool {
	ee, ok := err.(*exec.ExitError)
	return ok && ee.ExitCode() == code
}
