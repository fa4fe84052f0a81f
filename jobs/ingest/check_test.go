package ingest_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ispacct/ispacct/jobs/ingest"
	"github.com/ispacct/ispacct/jobs/rollup"
	"github.com/ispacct/ispacct/schema/pgtest"
)

func TestCheckSource(t *testing.T) {
	for _, tt := range []struct {
		format, vhost, want string
	}{
		{"apache-combined", "", "add --vhost NAME (or the source's vhost key"},
		{"apache-common", "", "add --vhost NAME"},
		{"apache-combined", "www.kunde.example", ""},
		{"apache-vhost", "", ""},
		{"squid", "", ""},
		{"postfix", "", ""},
		{"iis", "", `unknown format "iis"`},
	} {
		err := ingest.CheckSource(ingest.Source{Name: "custa", Format: tt.format, VHost: tt.vhost})
		if got := ""; err != nil && !strings.Contains(err.Error(), tt.want) || err == nil && tt.want != got {
			t.Errorf("%s vhost %q: %v, want %q", tt.format, tt.vhost, err, tt.want)
		}
	}
}

// TestNoVHostNoRows: a per-vhost Apache log named without its vhost is
// refused before a line is read (its rows would have no vhost, and every
// rollup after would fail on them); with it, the same file loads and
// rolls up.
func TestNoVHostNoRows(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	path := copyFixture(t, "../../fixtures/apache/combined.log")
	src := ingest.Source{Name: "apache-combined", Format: "apache-combined", Files: []string{path}}
	if _, err := ingest.Run(ctx, db.Pool, src, ingest.Options{Loc: db.Loc, Log: pgtest.Log()}); err == nil || !strings.Contains(err.Error(), "--vhost") {
		t.Fatalf("ingest without the vhost: %v", err)
	}
	if n := pgtest.Count(t, db.Pool, `SELECT (SELECT count(*) FROM http) + (SELECT count(*) FROM ingest_files)`); n != 0 {
		t.Fatalf("the refused ingest left %d rows and ledger entries", n)
	}
	src.VHost = "custa.example"
	res, err := ingest.Run(ctx, db.Pool, src, ingest.Options{Loc: db.Loc, Log: pgtest.Log()})
	if err != nil || res.Rows == 0 {
		t.Fatalf("with the vhost: %v %+v", err, res)
	}
	if _, err := rollup.Run(ctx, db.Pool, time.Time{}, time.Time{}, rollup.Options{Loc: db.Loc, Log: pgtest.Log()}); err != nil {
		t.Fatal(err)
	}
	if n := pgtest.Count(t, db.Pool, `SELECT sum(requests) FROM agg_http_vhost WHERE vhost = 'custa.example'`); n != res.Rows {
		t.Fatalf("agg_http_vhost counts %d requests of custa.example, want %d", n, res.Rows)
	}
}
