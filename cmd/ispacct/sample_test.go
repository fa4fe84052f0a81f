package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ispacct/ispacct/schema/pgtest"
)

// TestSampleMatchesREADME runs what make run runs, against a test
// database, and checks that the archives are the ones the README's quick
// start shows, byte for byte: the same sample gives the same archive on
// any machine, and the README says what a user will see.
func TestSampleMatchesREADME(t *testing.T) {
	dir := isolate(t)
	db := pgtest.New(t)
	fixtures, _ := filepath.Abs(filepath.Join(origWD, "../../fixtures"))
	base := []string{"--config", filepath.Join(fixtures, "sample.toml"), "--db", db.ConnString}
	out := filepath.Join(dir, "out")
	var printed string
	for _, args := range [][]string{
		{"landefs", "import", filepath.Join(fixtures, "landefs.txt")},
		{"ingest"},
		{"rollup"},
		{"report", "--from", "2026-11-20", "--to", "2026-11-21", "--out", out},
	} {
		code, stdout, stderr := ispacct(t, append(args, base...)...)
		if code != 0 {
			t.Fatalf("ispacct %v: exit %d\n%s%s", args, code, stdout, stderr)
		}
		printed += stdout
	}
	readme, err := os.ReadFile(filepath.Join(origWD, "../../README.md"))
	if err != nil {
		t.Fatal(err)
	}
	shown := regexp.MustCompile(`/…/out/(acct-[0-9-]+\.zip)  ([0-9]+) bytes  sha256 ([0-9a-f]+)…`).FindAllStringSubmatch(string(readme), -1)
	if len(shown) != 2 {
		t.Fatalf("the README's quick start shows %d archives, want 2", len(shown))
	}
	for _, s := range shown {
		want := filepath.Join(out, s[1]) + "  " + s[2] + " bytes  sha256 " + s[3]
		if !strings.Contains(printed, want) {
			t.Errorf("the README shows %q; make run's commands printed:\n%s", s[0], printed)
		}
	}
}
