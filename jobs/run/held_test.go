package run_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ispacct/ispacct/jobs/report"
	"github.com/ispacct/ispacct/jobs/run"
)

// TestHeldFileMakesRunPartial: a file of the source that ingest holds (here
// a log cut after it was read) makes the chain partly done, and what it
// says names the file and the command that reloads it, with the
// configuration the chain ran with.
func TestHeldFileMakesRunPartial(t *testing.T) {
	e := newEnv(t, berlin(2026, 10, 27, 12, 0))
	cfg, cfgPath := e.config(t, "ispacct.toml", "")
	deps := run.Deps{Pool: e.db.Pool, Cfg: cfg, Log: e.log, Now: func() time.Time { return berlin(2026, 10, 28, 12, 0) }}
	day := report.Day(berlin(2026, 10, 27, 0, 0), cfg.Loc)
	if res, err := run.Daily(context.Background(), deps, day); err != nil || res.Status != run.StatusOK {
		t.Fatalf("first run: %v %+v", err, res.Run)
	}
	log := filepath.Join(e.dir, "access.log")
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(log, b[:len(b)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	deps.Force = true
	res, err := run.Daily(context.Background(), deps, day)
	if err != nil || res.Status != run.StatusPartial ||
		!strings.Contains(res.Error, log+" changed since it was read") ||
		!strings.Contains(res.Error, `'ispacct ingest --config "`+cfgPath+`" --reload --format squid `+log+"'") {
		t.Fatalf("%v %s: %s", err, res.Status, res.Error)
	}
}
