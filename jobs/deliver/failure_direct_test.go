package deliver_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ispacct/ispacct/config"
	"github.com/ispacct/ispacct/jobs/deliver"
	"github.com/ispacct/ispacct/jobs/report"
	"github.com/ispacct/ispacct/schema/pgtest"
)

// TestNotifyFailureDirect: with no database at all the notice still
// reaches the Maildir, once per failure (same job, same second).
func TestNotifyFailureDirect(t *testing.T) {
	md := filepath.Join(t.TempDir(), "Maildir")
	opt := deliver.Options{Mail: config.Mail{From: "ispacct@cpe.example.net", Maildir: md}, Report: report.Options{Loc: pgtest.Berlin},
		Host: "cpe.example.net", Log: pgtest.Log()}
	f := deliver.Failure{Job: "run daily 2026-11-21", Err: errors.New("connect to postgres /run/x:5432/ispacct: connection refused"),
		Command: "ispacct run daily --date 2026-11-21", At: time.Date(2026, 11, 22, 1, 30, 2, 0, pgtest.Berlin)}
	for range 2 {
		path, err := deliver.NotifyFailureDirect(context.Background(), opt, f)
		if err != nil || !strings.HasPrefix(path, filepath.Join(md, "new")) {
			t.Fatalf("NotifyFailureDirect: %q %v", path, err)
		}
	}
	files, _ := os.ReadDir(filepath.Join(md, "new"))
	if len(files) != 1 {
		t.Fatalf("%d message(s) in new/, want 1: the same failure is one message", len(files))
	}
	b, _ := os.ReadFile(filepath.Join(md, "new", files[0].Name()))
	if !strings.Contains(string(b), "FAILED: run daily 2026-11-21") || !strings.Contains(string(b), "ispacct run daily --date 2026-11-21") {
		t.Fatalf("notice:\n%s", b)
	}
}
