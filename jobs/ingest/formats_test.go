package ingest_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ispacct/ispacct/jobs/ingest"
	"github.com/ispacct/ispacct/schema/pgtest"
)

func copyFile(t *testing.T, from, to string, mtime time.Time) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(to, mtime, mtime)
}

// TestPostfixAcrossRotationAndRuns: the from= line is in mail.log.1, the
// status=sent line in mail.log, and they are ingested in two runs; the
// open message waits in the database between them, and the result is one
// complete row per recipient.
func TestPostfixAcrossRotationAndRuns(t *testing.T) {
	db := pgtest.New(t)
	dir := t.TempDir()
	log := filepath.Join(dir, "mail.log")
	copyFile(t, "../../fixtures/postfix/split-1.log", log+".1", time.Date(2026, 11, 22, 0, 0, 0, 0, db.Loc))
	src := func() ingest.Source {
		files, _ := ingest.Expand([]string{log + "*"})
		return ingest.Source{Name: "mail", Format: "postfix", Files: files}
	}
	res, err := ingest.Run(context.Background(), db.Pool, src(), ingest.Options{Loc: db.Loc, Log: pgtest.Log()})
	if err != nil || res.Rows != 1 {
		t.Fatalf("first run: %+v %v; want the local delivery only", res, err)
	}
	copyFile(t, "../../fixtures/postfix/split-2.log", log, time.Date(2026, 11, 22, 0, 5, 0, 0, db.Loc))
	res, err = ingest.Run(context.Background(), db.Pool, src(), ingest.Options{Loc: db.Loc, Log: pgtest.Log()})
	if err != nil || res.Rows != 1 || res.Unchanged != 1 {
		t.Fatalf("second run: %+v %v", res, err)
	}
	var msgid, from, remote string
	var size int64
	var zeit time.Time
	err = db.Pool.QueryRow(context.Background(), `SELECT msgid, m_from, m_size, m_remote_id, zeit FROM mta WHERE m_to = 'bob@remote.example'`).
		Scan(&msgid, &from, &size, &remote, &zeit)
	if err != nil {
		t.Fatal(err)
	}
	if msgid != "split@kunde.example" || from != "anna@kunde.example" || size != 4321 || remote != "6A7B8C9D0E" {
		t.Fatalf("row: msgid %q from %q size %d remote %q", msgid, from, size, remote)
	}
	if !zeit.Equal(time.Date(2026, 11, 22, 0, 0, 1, 0, db.Loc)) {
		t.Fatalf("zeit %v: the year or zone was not inferred", zeit)
	}
	var open string
	db.Pool.QueryRow(context.Background(), `SELECT state->>'open' FROM mail_state WHERE source = 'mail'`).Scan(&open)
	if open != "" && open != "[]" && open != "null" {
		t.Fatalf("the message stayed open after removed: %s", open)
	}
}

// TestEveryFormatLoads: each fixture log loads into its table; lines that
// are about no message (connects, warnings) are neither rows nor rejects.
func TestEveryFormatLoads(t *testing.T) {
	db := pgtest.New(t)
	for _, tt := range []struct {
		format, file, vhost, table string
	}{
		{"squid-common", "../../fixtures/squid-common/access.log", "", "proxy"},
		{"squid-combined", "../../fixtures/squid-combined/access.log", "", "proxy"},
		{"apache-common", "../../fixtures/apache/common.log", "www.kunde.example", "http"},
		{"apache-combined", "../../fixtures/apache/combined.log", "www.kunde.example", "http"},
		{"apache-vhost", "../../fixtures/apache/vhost_combined.log", "", "http"},
		{"apache-combined", "../../fixtures/apache/www.kunde.example-access.log", "www.kunde.example", "http"},
		{"postfix", "../../fixtures/postfix/postfix.log", "", "mta"},
		{"postfix", "../../fixtures/postfix/mail-rfc3339.log", "", "mta"},
		{"sendmail", "../../fixtures/sendmail/maillog", "", "mta"},
	} {
		t.Run(tt.format+" "+filepath.Base(tt.file), func(t *testing.T) {
			dir := t.TempDir()
			f := filepath.Join(dir, filepath.Base(tt.file))
			copyFile(t, tt.file, f, time.Date(2026, 11, 22, 12, 0, 0, 0, db.Loc))
			res, err := ingest.Run(context.Background(), db.Pool, ingest.Source{Name: tt.file, Format: tt.format, Files: []string{f}, VHost: tt.vhost},
				ingest.Options{Loc: db.Loc, Log: pgtest.Log()})
			if err != nil {
				t.Fatal(err)
			}
			golden := strings.TrimSuffix(tt.file, filepath.Ext(tt.file)) + ".golden"
			if tt.format == "sendmail" {
				golden = tt.file + ".golden"
			}
			want := countGoldenRows(t, golden)
			if res.Table != tt.table || res.Rows != want || len(res.FileErrors) != 0 {
				t.Fatalf("%+v; want %d rows into %s (as in %s)", res, want, tt.table, golden)
			}
			if res.Lines != res.Rows+res.Rejects+res.Ignored+res.Blank && tt.table != "mta" {
				t.Fatalf("lines %d != rows %d + rejects %d + blank %d", res.Lines, res.Rows, res.Rejects, res.Blank)
			}
		})
	}
}

// countGoldenRows counts the record lines of a golden file ("N: ..." lines
// that are not rejects).
func countGoldenRows(t *testing.T, path string) int64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, l := range strings.Split(string(b), "\n") {
		head, rest, ok := strings.Cut(l, ": ")
		if !ok || strings.HasPrefix(rest, "reject") || rest == "blank" || strings.ContainsAny(head, " \t") || head == "" {
			continue
		}
		if head[0] >= '0' && head[0] <= '9' {
			n++
		}
	}
	return n
}

// TestHostNameClientLoads: a request Apache logged with the client's name
// (HostnameLookups On) is a row with ip NULL, the name in client_host and
// its bytes; a blank line
// is neither a row nor a reject.
func TestHostNameClientLoads(t *testing.T) {
	db := pgtest.New(t)
	f := filepath.Join(t.TempDir(), "access.log")
	line := `monitoring-server - - [21/Nov/2026:13:45:26 +0100] "GET /status HTTP/1.1" 200 4711 "-" "check"`
	if err := os.WriteFile(f, []byte(line+"\n\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := ingest.Run(context.Background(), db.Pool, ingest.Source{Name: "web", Format: "apache-combined", Files: []string{f}, VHost: "www.kunde.example"},
		ingest.Options{Loc: db.Loc, Log: pgtest.Log()})
	if err != nil || res.Rows != 1 || res.Rejects != 0 || res.Blank != 1 || res.Lines != 2 {
		t.Fatalf("%+v %v; want 1 row, 1 blank line ignored", res, err)
	}
	var null bool
	var size int64
	var host string
	if err := db.Pool.QueryRow(context.Background(), `SELECT ip IS NULL, size, client_host FROM http WHERE url = 'www.kunde.example'`).Scan(&null, &size, &host); err != nil {
		t.Fatal(err)
	}
	if !null || size != 4711 || host != "monitoring-server" {
		t.Fatalf("ip null %t, size %d, client_host %q; want NULL, 4711, the name", null, size, host)
	}
}
