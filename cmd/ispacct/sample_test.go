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
	fixtures := fixturesDir
	// As the Makefile's RUNFLAGS: warnings only, so the terminal shows
	// just what the README shows.
	base := []string{"--config", filepath.Join(fixtures, "sample.toml"), "--db", db.ConnString, "--log-level", "warn"}
	out := filepath.Join(dir, "out")
	landefs := filepath.Join(fixtures, "landefs.txt")
	var printed string
	for _, args := range [][]string{
		{"landefs", "import", landefs},
		{"ingest"},
		{"rollup"},
		{"report", "--from", "2026-11-20", "--to", "2026-11-21", "--out", out},
	} {
		code, stdout, stderr := ispacct(t, append(args, base...)...)
		if code != 0 || stderr != "" {
			t.Fatalf("ispacct %v: exit %d, want 0 and nothing on stderr\n%s%s", args, code, stdout, stderr)
		}
		printed += stdout
	}
	readme, err := os.ReadFile(filepath.Join(origWD, "../../README.md"))
	if err != nil {
		t.Fatal(err)
	}
	shown := quickStart(t, string(readme))
	got := strings.Split(strings.TrimRight(printed, "\n"), "\n")
	if len(got) != len(shown) {
		t.Errorf("the README's quick start shows %d lines from landefs to the last archive; make run's commands print %d:\n%s",
			len(shown), len(got), printed)
	}
	for i := 0; i < len(got) && i < len(shown); i++ {
		if !shown[i].MatchString(got[i]) {
			t.Errorf("line %d: the README shows %q; make run's commands printed %q", i+1, shown[i], got[i])
		}
	}
}

// quickStart returns the lines of the README's quick start output from
// "landefs:" to the last archive's contents, as patterns: "/…/" stands for
// the checkout, a hash may be cut short with "…", and seconds vary.
func quickStart(t *testing.T, readme string) []*regexp.Regexp {
	t.Helper()
	_, block, ok := strings.Cut(readme, "\nlandefs: ")
	if !ok {
		t.Fatal("the README's quick start has no landefs line")
	}
	block, _, _ = strings.Cut("landefs: "+block, "\n\n")
	var out []*regexp.Regexp
	for _, l := range strings.Split(block, "\n") {
		q := regexp.QuoteMeta(l)
		q = strings.ReplaceAll(q, "/…/", "/.+/")
		q = regexp.MustCompile(`sha256 ([0-9a-f]+)…`).ReplaceAllString(q, `sha256 ${1}[0-9a-f]{56}`)
		q = regexp.MustCompile(`[0-9]+\\\.[0-9]+ s`).ReplaceAllString(q, `[0-9]+\.[0-9]+ s`)
		out = append(out, regexp.MustCompile("^"+q+"$"))
	}
	return out
}
