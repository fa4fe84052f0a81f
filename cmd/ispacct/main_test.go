package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/ispacct/ispacct/jobs/ingest"
	"github.com/ispacct/ispacct/lock"
	"github.com/ispacct/ispacct/schema/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// ispacct runs the command in-process and returns its exit code and output.
func ispacct(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// fixturesDir is the checkout's fixtures/ folder.
var fixturesDir, _ = filepath.Abs("../../fixtures")

// withDB starts a test that runs commands against a database of its own:
// an isolated working folder, the database, days in Berlin time.
func withDB(t *testing.T) (string, *pgtest.DB) {
	t.Helper()
	dir := isolate(t)
	db := pgtest.New(t)
	t.Setenv("ISPACCT_TIMEZONE", "Europe/Berlin")
	return dir, db
}

// anyAge lets ingest take the sample logs of November 2026 whenever the
// tests run.
const anyAge = "[ingest]\nmax_age_days = 100000\n"

// source is a [[source]] table of the configuration.
func source(name, format, paths string) string {
	return fmt.Sprintf("[[source]]\nname = %q\nformat = %q\npaths = [%q]\n", name, format, paths)
}

// isolate clears the environment that selects a database or config.
func isolate(t *testing.T) string {
	dir := t.TempDir()
	for _, v := range []string{"DATABASE_URL", "PGHOST", "PGHOSTADDR", "PGDATABASE", "PGSERVICE", "PGPORT", "PGUSER", "ISPACCT_TIMEZONE"} {
		t.Setenv(v, "")
		os.Unsetenv(v)
	}
	t.Setenv("ISPACCT_STATE_DIR", filepath.Join(dir, "state"))
	t.Chdir(dir) // no ./ispacct.toml
	return dir
}

func TestUsageErrors(t *testing.T) {
	dir := isolate(t)
	bad := filepath.Join(dir, "bad.toml")
	os.WriteFile(bad, []byte("timezone = \"UTC\"\n[ingest]\nmax_age_dayz = 3\n"), 0o644)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"report", "--from", "2026-13-01"}, `"2026-13-01"`},
		{[]string{"report", "--from", "2026-11-02", "--to", "2026-11-01"}, "--from 2026-11-02 is after --to 2026-11-01"},
		{[]string{"report"}, "--from is required"},
		{[]string{"report", "--from", "2026-11-01", "--period", "week"}, `period "week"`},
		{[]string{"ingest", "--config", bad}, "ingest.max_age_dayz: unknown key"},
		{[]string{"ingest", "--nope"}, "flag provided but not defined: -nope"},
		{[]string{"ingest", "--format", "iis", "x.log"}, `--format "iis": unknown`},
		{[]string{"ingest", "x.log"}, "need --format"},
		{[]string{"ingest", "--format", "apache-combined", "custa_access.log"}, "add --vhost NAME"},
		{[]string{"ingest", "--reload", "--format", "apache-combined", "custa_access.log"}, "add --vhost NAME"},
		{[]string{"ingest"}, "no sources configured"},
		{[]string{"db"}, "want one of start, stop, status, migrate"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"report", "--from", "2026-11-01", "--log-format", "xml"}, `--log-format "xml"`},
		{nil, "Usage: ispacct <command>"},
		{[]string{"db", "status", "--db", "not a url"}, "--db: not a PostgreSQL connection string"},
		{[]string{"rollup", "--db", "host=x port=nope"}, "--db: not a PostgreSQL connection string"},
		{[]string{"version", "extra"}, "unexpected arguments"},
		{[]string{"parse", "--format", "apache-combined", "x.log"}, "--vhost"},
	}
	for _, tt := range tests {
		code, _, stderr := ispacct(t, tt.args...)
		if code != exitUsage || !strings.Contains(stderr, tt.want) {
			t.Errorf("ispacct %v: exit %d, stderr %q; want exit 2 and %q", tt.args, code, stderr, tt.want)
		}
	}
}

func TestHelp(t *testing.T) {
	code, out, _ := ispacct(t, "help")
	if code != 0 || !strings.Contains(out, "Exit codes") {
		t.Fatalf("help: %d %q", code, out)
	}
	cs := commands()
	if !slices.IsSortedFunc(cs, func(a, b *command) int { return strings.Compare(a.name, b.name) }) {
		t.Error("commands() is not in name order, so the usage lists them out of order")
	}
	for _, c := range cs {
		code, out, _ := ispacct(t, c.name, "-h")
		if code != 0 || !strings.Contains(out, "Example:") || !strings.Contains(out, "ispacct "+c.name) {
			t.Errorf("%s -h: exit %d, no example in %q", c.name, code, out)
		}
	}
}

func TestDBStatusTarget(t *testing.T) {
	isolate(t)
	code, out, stderr := ispacct(t, "db", "status", "--json")
	if code != 0 {
		t.Fatalf("db status: %d %s", code, stderr)
	}
	var st dbStatusJSON
	if err := json.Unmarshal([]byte(out), &st); err != nil || st.Server != "private" || st.Private == nil {
		t.Fatalf("without settings want the private cluster: %v %s", err, out)
	}
	db := pgtest.New(t)
	t.Setenv("ISPACCT_TIMEZONE", "Europe/Berlin")
	t.Setenv("DATABASE_URL", db.ConnString)
	code, out, stderr = ispacct(t, "db", "status", "--json")
	if code != 0 {
		t.Fatalf("db status with DATABASE_URL: %d %s", code, stderr)
	}
	st = dbStatusJSON{}
	json.Unmarshal([]byte(out), &st)
	if st.Server != "configured" || !st.Reachable || st.SchemaVersion < 1 {
		t.Fatalf("with DATABASE_URL want that server, reachable: %s", out)
	}
	// The database keeps the zone of its first use: another one is a
	// configuration error (exit 2), not a failure.
	t.Setenv("ISPACCT_TIMEZONE", "UTC")
	if code, _, stderr := ispacct(t, "rollup"); code != exitUsage || !strings.Contains(stderr, `the database's days follow time zone "Europe/Berlin"`) {
		t.Fatalf("rollup in another zone: exit %d, %s", code, stderr)
	}
}

// TestRunTwice is make run as a test: the sample in, archives out, and a
// second run changes neither the rows nor the archives' sha256.
func TestRunTwice(t *testing.T) {
	dir, db := withDB(t)
	sample := fixturesDir
	cfg := filepath.Join(dir, "ispacct.toml")
	os.WriteFile(cfg, []byte(`[ingest]
max_age_days = 100000
[[source]]
name = "squid"
format = "squid"
paths = ["`+sample+`/squid/access.log*"]
[report]
out_dir = "out"
`), 0o644)
	base := []string{"--config", cfg, "--db", db.ConnString}
	steps := [][]string{
		{"landefs", "import", sample + "/landefs.txt"},
		{"ingest"},
		{"report", "--from", "2026-11-20", "--to", "2026-11-21"},
	}
	var reports []string
	for round := 0; round < 2; round++ {
		for _, s := range steps {
			code, out, stderr := ispacct(t, append(s, base...)...)
			if code != 0 {
				t.Fatalf("round %d: ispacct %v: exit %d\n%s%s", round, s, code, out, stderr)
			}
			if s[0] == "ingest" && round == 1 && !strings.Contains(out, "0 rows") {
				t.Fatalf("second ingest loaded rows: %s", out)
			}
			if s[0] == "report" {
				reports = append(reports, regexp.MustCompile(`sha256 [0-9a-f]+`).FindAllString(out, -1)...)
			}
		}
	}
	if len(reports) != 4 || reports[0] != reports[2] || reports[1] != reports[3] {
		t.Fatalf("archives changed between runs: %v", reports)
	}
	var n int
	db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM proxy`).Scan(&n)
	if n != 15 {
		t.Fatalf("proxy has %d rows after two runs, want 15", n)
	}
}

func TestExitLockedAndPartial(t *testing.T) {
	dir, db := withDB(t)
	log := filepath.Join(dir, "access.log")
	os.WriteFile(log, []byte("1795215541.000 1 10.4.24.77 TCP_MISS/200 1 GET http://a/ - HIER_NONE/- -\n"), 0o644)

	l, err := lock.Acquire(context.Background(), db.Pool, "ingest:proxy", false)
	if err != nil {
		t.Fatal(err)
	}
	code, _, stderr := ispacct(t, "ingest", "--db", db.ConnString, "--format", "squid", log)
	l.Release()
	if code != exitLocked || !strings.Contains(stderr, "PID") {
		t.Fatalf("with the lock held: exit %d, %q; want 4 naming the holder", code, stderr)
	}
	code, out, stderr := ispacct(t, "ingest", "--db", db.ConnString, "--format", "squid", filepath.Join(dir, "missing.log"), log)
	if code != exitPartial || !strings.Contains(stderr, "missing.log") || !strings.Contains(out, "1 row into proxy") {
		t.Fatalf("with a missing file: exit %d\n%s%s; want 3, the file named, the other loaded", code, out, stderr)
	}
}

var origWD, _ = os.Getwd()

// TestNetsetupThenIngest: after netsetup has synced landefs, a proxy line
// from 10.4.24.77 is loaded with the LAN name of VLAN 1048; the
// maintenance VLAN is no customer LAN, and a prefix set by hand stays.
func TestNetsetupThenIngest(t *testing.T) {
	dir, db := withDB(t)
	vc := filepath.Join(dir, "vlan.config")
	os.WriteFile(vc, []byte("# test LANs\n1 maint\n1048 mueller\n2\n"), 0o644)
	manual := filepath.Join(dir, "manual.txt")
	os.WriteFile(manual, []byte("weber-lab 10.0.5.128/25\n"), 0o644)
	if code, out, stderr := ispacct(t, "landefs", "import", manual, "--db", db.ConnString); code != 0 {
		t.Fatalf("landefs import: %d %s%s", code, out, stderr)
	}
	code, out, stderr := ispacct(t, "netsetup", "--landefs-only", "--vlan-config", vc, "--db", db.ConnString)
	if code != 0 || !strings.Contains(out, "landefs: 2 added") {
		t.Fatalf("netsetup --landefs-only: exit %d\n%s%s", code, out, stderr)
	}
	log := filepath.Join(dir, "access.log")
	os.WriteFile(log, []byte("1795215541.000 1 10.4.24.77 TCP_MISS/200 1 GET http://a/ - HIER_NONE/- -\n"+
		"1795215542.000 1 10.0.1.9 TCP_MISS/200 1 GET http://b/ - HIER_NONE/- -\n"), 0o644)
	if code, out, stderr := ispacct(t, "ingest", "--db", db.ConnString, "--format", "squid", log); code != 0 {
		t.Fatalf("ingest: %d %s%s", code, out, stderr)
	}
	var lan, maint *string
	db.Pool.QueryRow(context.Background(), `SELECT lan_name FROM proxy WHERE ip_client = '10.4.24.77'`).Scan(&lan)
	db.Pool.QueryRow(context.Background(), `SELECT lan_name FROM proxy WHERE ip_client = '10.0.1.9'`).Scan(&maint)
	if lan == nil || *lan != "mueller" || maint != nil {
		t.Fatalf("lan_name of 10.4.24.77 = %v, of the maintenance VLAN's 10.0.1.9 = %v; want mueller and NULL", lan, maint)
	}
	code, out, _ = ispacct(t, "landefs", "list", "--db", db.ConnString)
	if code != 0 || !strings.Contains(out, "weber-lab") || !strings.Contains(out, "vlan2") {
		t.Fatalf("landefs after netsetup:\n%s", out)
	}
	// A rename pending in vlan.config: both dry runs list the row they
	// would rename, and change nothing.
	os.WriteFile(vc, []byte("1 maint\n1048 mueller\n2 schmidt\n"), 0o644)
	for _, args := range [][]string{{"--landefs-only", "--dry-run"}, {"--dry-run", "--parent", "eth0"}} {
		code, out, stderr = ispacct(t, append(append([]string{"netsetup"}, args...), "--vlan-config", vc, "--db", db.ConnString)...)
		if args[0] == "--dry-run" && strings.Contains(stderr, "not found") {
			continue // no eth0 on this host: the interface part of the preview can't be had
		}
		if code != 0 || !strings.Contains(out, "landefs: would rename 10.0.2.0/24: vlan2 -> schmidt") {
			t.Fatalf("netsetup %v: exit %d\n%s%s", args, code, out, stderr)
		}
	}
	code, out, _ = ispacct(t, "netsetup", "--landefs-only", "--dry-run", "--json", "--vlan-config", vc, "--db", db.ConnString)
	if code != 0 || !strings.Contains(out, `"changes": []`) || !strings.Contains(out, `"kind": "rename"`) {
		t.Fatalf("netsetup --landefs-only --dry-run --json: exit %d\n%s", code, out)
	}
	// A VLAN's prefix imported by hand under another name stays as the
	// administrator named it; netsetup says so instead of taking it over.
	os.WriteFile(manual, []byte("weber-lab 10.0.5.128/25\nkunde-a 10.4.24.0/24\n"), 0o644)
	if code, out, stderr := ispacct(t, "landefs", "import", manual, "--db", db.ConnString); code != 0 {
		t.Fatalf("landefs import: %d %s%s", code, out, stderr)
	}
	code, out, stderr = ispacct(t, "netsetup", "--landefs-only", "--vlan-config", vc, "--db", db.ConnString)
	if code != 0 || !strings.Contains(out, "keep 10.4.24.0/24 as kunde-a (added by hand; vlan.config names it mueller") ||
		!strings.Contains(stderr, "kept against vlan.config") {
		t.Fatalf("netsetup after a manual import: exit %d\n%s%s", code, out, stderr)
	}
	code, out, _ = ispacct(t, "landefs", "list", "--db", db.ConnString)
	if code != 0 || !regexp.MustCompile(`kunde-a\s+10\.4\.24\.0/24\s+manual`).MatchString(out) {
		t.Fatalf("the manual row was taken over:\n%s", out)
	}
	// A bad vlan.config names the line and exits 2.
	os.WriteFile(vc, []byte("1048 a\n5000 b\n"), 0o644)
	code, _, stderr = ispacct(t, "netsetup", "--landefs-only", "--vlan-config", vc, "--db", db.ConnString)
	if code != exitUsage || !strings.Contains(stderr, "line 2: vlan id 5000 is outside 1..4094") {
		t.Fatalf("bad vlan.config: exit %d %q", code, stderr)
	}
}

// TestBackfill: older files for a range load only the range's rows (the
// rest are counted), the range's aggregates and archives are rebuilt, and
// a second backfill changes nothing.
func TestBackfill(t *testing.T) {
	dir, db := withDB(t)
	var b strings.Builder
	for day := 24; day <= 26; day++ {
		for h := 0; h < 24; h += 6 {
			ts := time.Date(2026, 10, day, h, 30, 0, 0, pgtest.Berlin).Unix()
			fmt.Fprintf(&b, "%d.000 1 10.4.24.77 TCP_MISS/200 %d GET http://d%d.example/ - HIER_NONE/- -\n", ts, 100*day+h, day)
		}
	}
	archive := filepath.Join(dir, "archive", "access.log-20261027.gz")
	os.MkdirAll(filepath.Dir(archive), 0o755)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(b.String()))
	zw.Close()
	os.WriteFile(archive, gz.Bytes(), 0o644)
	cfg := filepath.Join(dir, "ispacct.toml")
	os.WriteFile(cfg, []byte("[report]\nout_dir = \"out\"\n[ingest]\nmax_age_days = 100000\n"), 0o644)
	// A day of the same month ingested and not yet rolled up: the month's
	// archive must not be built over its stale aggregates.
	other := filepath.Join(dir, "other.log")
	os.WriteFile(other, []byte(fmt.Sprintf("%d.000 1 10.4.24.78 TCP_MISS/200 77 GET http://o.example/ - HIER_NONE/- -\n",
		time.Date(2026, 10, 20, 12, 0, 0, 0, pgtest.Berlin).Unix())), 0o644)
	if code, out, stderr := ispacct(t, "ingest", "--config", cfg, "--db", db.ConnString, "--format", "squid", other); code != 0 {
		t.Fatalf("ingest: exit %d\n%s%s", code, out, stderr)
	}
	args := []string{"backfill", "--config", cfg, "--db", db.ConnString, "--from", "2026-10-25", "--to", "2026-10-25", "--format", "squid", archive}
	code, out, stderr := ispacct(t, args...)
	if code != 0 || !strings.Contains(out, "4 rows into proxy") || !strings.Contains(out, "left out (outside 2026-10-25..2026-10-25): 8 rows") {
		t.Fatalf("backfill: exit %d\n%s%s", code, out, stderr)
	}
	if strings.Contains(stderr, "not up to date") {
		t.Fatalf("backfill built an archive over stale aggregates:\n%s", stderr)
	}
	for _, f := range []string{"acct-2026-10-25.zip", "acct-2026-10.zip"} {
		if _, err := os.Stat(filepath.Join(dir, "out", f)); err != nil {
			t.Errorf("archive %s not rebuilt: %v", f, err)
		}
	}
	var aggBytes int64
	db.Pool.QueryRow(context.Background(), `SELECT coalesce(sum(bytes), 0) FROM agg_proxy_lan WHERE day = '2026-10-25'`).Scan(&aggBytes)
	if aggBytes != 2500+2506+2512+2518 {
		t.Fatalf("aggregates of 2026-10-25: %d bytes", aggBytes)
	}
	sum1 := regexp.MustCompile(`sha256 [0-9a-f]+`).FindAllString(out, -1)
	// The daily archive, which rolled its day up as it read it, is the
	// one 'ispacct report' builds on the aggregates now in place.
	again := filepath.Join(dir, "again")
	if code, out, stderr := ispacct(t, "report", "--config", cfg, "--db", db.ConnString, "--from", "2026-10-25", "--out", again); code != 0 {
		t.Fatalf("report: exit %d\n%s%s", code, out, stderr)
	}
	byBackfill, err1 := os.ReadFile(filepath.Join(dir, "out", "acct-2026-10-25.zip"))
	byReport, err2 := os.ReadFile(filepath.Join(again, "acct-2026-10-25.zip"))
	if err1 != nil || err2 != nil || !bytes.Equal(byBackfill, byReport) {
		t.Fatalf("the backfill's daily archive is not the report's (%v, %v)", err1, err2)
	}
	code, out, _ = ispacct(t, args...)
	if code != 0 || !strings.Contains(out, "0 rows into proxy") {
		t.Fatalf("second backfill: exit %d\n%s", code, out)
	}
	if sum2 := regexp.MustCompile(`sha256 [0-9a-f]+`).FindAllString(out, -1); fmt.Sprint(sum1) != fmt.Sprint(sum2) {
		t.Fatalf("archives changed on repeat: %v vs %v", sum1, sum2)
	}
}

// TestReportRefusals: a period that has not begun is refused, one without
// any row is written with a warning, and --out does not create a
// missing parent folder.
func TestReportRefusals(t *testing.T) {
	dir, db := withDB(t)
	base := []string{"--db", db.ConnString}
	if code, _, stderr := ispacct(t, append([]string{"report", "--from", "2099-01-01"}, base...)...); code != exitUsage ||
		!strings.Contains(stderr, "2099-01-01 has not begun yet") {
		t.Fatalf("future period: exit %d, %s", code, stderr)
	}
	// A range that reaches into the future is refused whole, as the web
	// page refuses it, not written as empty archives.
	if code, _, stderr := ispacct(t, append([]string{"report", "--period", "month", "--from", "2026-11-01", "--to", "2099-01-01"}, base...)...); code != exitUsage ||
		!strings.Contains(stderr, "has not begun yet") {
		t.Fatalf("range into the future: exit %d, %s", code, stderr)
	}
	missing := filepath.Join(dir, "no", "such", "out")
	if code, _, stderr := ispacct(t, append([]string{"report", "--from", "2026-11-01", "--out", missing}, base...)...); code != exitUsage ||
		!strings.Contains(stderr, "parent folder does not exist") {
		t.Fatalf("--out under a missing folder: exit %d, %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "no")); !os.IsNotExist(err) {
		t.Fatalf("--out created folders: %v", err)
	}
	code, _, stderr := ispacct(t, append([]string{"report", "--from", "2026-11-01", "--out", filepath.Join(dir, "out")}, base...)...)
	if code != 0 || !strings.Contains(stderr, "no rows at all in the period") {
		t.Fatalf("empty period: exit %d, want 0 and a warning: %s", code, stderr)
	}
}

// TestParse: the records come out in the table's .asc layout, rejects go
// to stderr with file, line and reason, and the exit code says so.
func TestParse(t *testing.T) {
	isolate(t)
	t.Setenv("ISPACCT_TIMEZONE", "Europe/Berlin")
	fixtures := filepath.Join(origWD, "../../fixtures")
	code, out, stderr := ispacct(t, "parse", "--format", "squid", fixtures+"/squid/access.log")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || lines[0] != "lan_name|ip_client|url|zeit|size|status|methode" || len(lines) != 16 || stderr != "" {
		t.Fatalf("squid: exit %d, %d lines, stderr %q", code, len(lines), stderr)
	}
	if lines[1] != "|10.4.24.77|http://example.com/|2026-11-20T23:59:01+01:00|5120|TCP_MISS/200|GET" {
		t.Fatalf("first record %q (no database: lan_name empty)", lines[1])
	}
	code, out, stderr = ispacct(t, "parse", "--format", "apache-combined", "--vhost", "www.kunde.example", fixtures+"/apache/combined.log")
	if code != exitPartial || !strings.HasPrefix(out, "ip|url|zeit|size|datei|htuser\n") ||
		!strings.Contains(stderr, "combined.log:11: unterminated quoted field") {
		t.Fatalf("apache: exit %d, stderr %q", code, stderr)
	}
	code, out, _ = ispacct(t, "parse", "--format", "postfix", fixtures+"/postfix/split-1.log", fixtures+"/postfix/split-2.log")
	if code != 0 || !strings.Contains(out, "split@kunde.example|bob@remote.example|anna@kunde.example|smtp|4321|6A7B8C9D0E|") {
		t.Fatalf("postfix across two files: exit %d\n%s", code, out)
	}
	if code, _, stderr := ispacct(t, "parse", "--format", "iis", "x"); code != exitUsage || !strings.Contains(stderr, `"iis"`) {
		t.Fatalf("unknown format: exit %d %q", code, stderr)
	}
}

// TestRejectsAndMaintain: rejects are listed with file, line, reason and
// raw text; the retention dry run says what it would remove and removes
// nothing.
func TestRejectsAndMaintain(t *testing.T) {
	dir, db := withDB(t)
	log := filepath.Join(dir, "access.log")
	os.WriteFile(log, []byte("1795215541.000 1 10.4.24.77 TCP_MISS/200 1 GET http://a/ - HIER_NONE/- -\nnot a squid line\n"), 0o644)
	cfg := filepath.Join(dir, "ispacct.toml")
	os.WriteFile(cfg, []byte("[ingest]\nmax_age_days = 100000\nreject_threshold = 1.0\n[retention]\nraw_days = 1\n"), 0o644)
	base := []string{"--config", cfg, "--db", db.ConnString}
	if code, out, stderr := ispacct(t, append([]string{"ingest", "--format", "squid", log}, base...)...); code != 0 {
		t.Fatalf("ingest: %d %s%s", code, out, stderr)
	}
	today := time.Now().In(pgtest.Berlin).Format("2006-01-02")
	code, out, _ := ispacct(t, append([]string{"rejects", "--from", today, "--json"}, base...)...)
	var list []ingest.Reject
	if err := json.Unmarshal([]byte(out), &list); code != 0 || err != nil || len(list) != 1 {
		t.Fatalf("rejects: exit %d, %v\n%s", code, err, out)
	}
	if r := list[0]; r.Path != log || r.Line != 2 || r.Reason != "bad timestamp" || r.Raw != "not a squid line" {
		t.Fatalf("reject %+v", r)
	}
	code, out, _ = ispacct(t, append([]string{"maintain", "--dry-run"}, base...)...)
	if code != 0 || !strings.Contains(out, "would remove 1 partition of days") || !strings.Contains(out, "proxy_p20261120") {
		t.Fatalf("maintain --dry-run: exit %d\n%s", code, out)
	}
	var n int
	db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM proxy`).Scan(&n)
	if n != 1 {
		t.Fatalf("the dry run removed rows: %d left", n)
	}
}

// TestSourceWithoutFiles: a source whose paths match no file (a typo, a
// log moved by an upgrade) makes ingest partly done, not a quiet success,
// and 'ispacct config' warns of it.
func TestSourceWithoutFiles(t *testing.T) {
	dir := isolate(t)
	db := pgtest.New(t)
	cfg := filepath.Join(dir, "ispacct.toml")
	os.WriteFile(cfg, []byte("timezone = \"Europe/Berlin\"\n[[source]]\nname = \"squid\"\nformat = \"squid\"\npaths = [\"/var/log/squid3/access.log*\"]\n"), 0o644)
	code, out, stderr := ispacct(t, "ingest", "--config", cfg, "--db", db.ConnString)
	if code != exitPartial || !strings.Contains(stderr, "squid: no file matches /var/log/squid3/access.log*") {
		t.Fatalf("ingest: exit %d\n%s%s", code, out, stderr)
	}
	code, _, stderr = ispacct(t, "config", "--config", cfg)
	if code != 0 || !strings.Contains(stderr, "warning: squid: no file matches /var/log/squid3/access.log*") ||
		!strings.Contains(stderr, "warning: neither mail.smtp.host nor mail.maildir is set") {
		t.Fatalf("config: exit %d, stderr %q", code, stderr)
	}
}
