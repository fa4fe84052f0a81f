package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/ispacct/ispacct/schema/pgtest"
)

// TestChainArchiveIsTheCommands: the daily chain rolls up its day as its
// archive reads the rows; its archive and aggregates are byte for byte
// those of ingest, rollup and report run one after the other, for the
// sample's proxy, web and mail rows.
func TestChainArchiveIsTheCommands(t *testing.T) {
	dir := isolate(t)
	cfg := filepath.Join(dir, "ispacct.toml")
	sample := func(p string) string { return filepath.Join(fixturesDir, p) }
	text := "timezone = \"Europe/Berlin\"\n" + anyAge + source("squid", "squid", sample("squid/access.log*")) +
		source("web", "apache-vhost", sample("apache/sample.log*")) + source("mail", "postfix", sample("postfix/sample.log*")) +
		fmt.Sprintf("[netsetup]\nvlan_config = %q\n[report]\nout_dir = %q\n", filepath.Join(dir, "no-vlan.config"), filepath.Join(dir, "out"))
	if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	type outcome struct {
		sha  string
		aggs string
	}
	roads := map[string][][]string{
		"chain":    {{"run", "daily", "--date", "2026-11-21", "--json"}},
		"commands": {{"ingest"}, {"rollup"}, {"report", "--from", "2026-11-21", "--to", "2026-11-21", "--json"}},
	}
	got := map[string]outcome{}
	for _, road := range []string{"chain", "commands"} {
		db := pgtest.New(t)
		if code, stdout, stderr := ispacct(t, "landefs", "import", filepath.Join(fixturesDir, "landefs.txt"), "--config", cfg, "--db", db.ConnString); code != 0 {
			t.Fatalf("landefs import: exit %d\n%s%s", code, stdout, stderr)
		}
		var last string
		for _, args := range roads[road] {
			code, stdout, stderr := ispacct(t, append(args, "--config", cfg, "--db", db.ConnString, "--log-level", "warn")...)
			if code != 0 {
				t.Fatalf("%s: ispacct %v: exit %d\n%s%s", road, args, code, stdout, stderr)
			}
			last = stdout
		}
		var res struct {
			SHA256  string `json:"sha256"`
			Archive struct {
				SHA256 string `json:"sha256"`
			} `json:"archive"`
			Rollup struct {
				Recomputed []struct{ Table, Day string } `json:"recomputed"`
			} `json:"rollup"`
		}
		if road == "commands" {
			last = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(last), "["), "]") // one archive
		}
		if err := json.Unmarshal([]byte(last), &res); err != nil {
			t.Fatalf("%s: %v\n%s", road, err, last)
		}
		sha := res.SHA256 + res.Archive.SHA256
		if road == "chain" {
			// Every table's day is rolled up, each once.
			var days []string
			for _, r := range res.Rollup.Recomputed {
				days = append(days, r.Table+" "+r.Day)
			}
			want := "http 2026-11-20, mta 2026-11-20, proxy 2026-11-20, http 2026-11-21, mta 2026-11-21, proxy 2026-11-21"
			if strings.Join(days, ", ") != want {
				t.Errorf("the chain rolled up %q, want %q", strings.Join(days, ", "), want)
			}
		}
		got[road] = outcome{sha, aggregates(t, db)}
	}
	if got["chain"].sha == "" || got["chain"].sha != got["commands"].sha {
		t.Errorf("archive sha256: chain %q, commands %q", got["chain"].sha, got["commands"].sha)
	}
	if got["chain"].aggs != got["commands"].aggs {
		t.Errorf("aggregates differ:\nchain:\n%s\ncommands:\n%s", got["chain"].aggs, got["commands"].aggs)
	}
	if !strings.Contains(got["chain"].aggs, "agg_mail_domain") || strings.Count(got["chain"].aggs, "\n") < 20 {
		t.Errorf("too few aggregates to compare:\n%s", got["chain"].aggs)
	}
}

// aggregates is every aggregate row, as text, in order.
func aggregates(t *testing.T, db *pgtest.DB) string {
	t.Helper()
	var b strings.Builder
	for _, tb := range []string{"agg_proxy_lan", "agg_proxy_site", "agg_http_vhost", "agg_http_user", "agg_mail_mailbox", "agg_mail_domain"} {
		rows, err := db.Pool.Query(context.Background(), `SELECT x::text FROM `+pgx.Identifier{tb}.Sanitize()+` x ORDER BY x::text COLLATE "C"`)
		if err != nil {
			t.Fatal(err)
		}
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range lines {
			b.WriteString(tb + " " + l + "\n")
		}
	}
	return b.String()
}
