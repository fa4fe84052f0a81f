package schema_test

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ispacct/ispacct/schema"
	"github.com/ispacct/ispacct/schema/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestMigrateTwiceIsNoop(t *testing.T) {
	db := pgtest.New(t)
	n, err := schema.Migrate(context.Background(), db.Pool, pgtest.Log())
	if err != nil || n != 0 {
		t.Fatalf("second migrate applied %d, err %v", n, err)
	}
	have, know, err := schema.Version(context.Background(), db.Pool)
	if err != nil || have != know || have < 1 {
		t.Fatalf("version have %d know %d err %v", have, know, err)
	}
}

// TestVersionOfBareDatabase: a database no migration has run on is at
// version 0, told by the missing table's SQLSTATE, not its message text;
// any other error is reported.
func TestVersionOfBareDatabase(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	open := func(params map[string]string) *pgxpool.Pool {
		t.Helper()
		cfg, err := pgxpool.ParseConfig(db.ConnString)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range params {
			cfg.ConnConfig.RuntimeParams[k] = v
		}
		pool, err := pgxpool.NewWithConfig(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		return pool
	}
	if _, err := db.Pool.Exec(ctx, `CREATE SCHEMA bare`); err != nil {
		t.Fatal(err)
	}
	have, know, err := schema.Version(ctx, open(map[string]string{"search_path": "bare"}))
	if err != nil || have != 0 || know < 1 {
		t.Fatalf("bare database: version have %d know %d err %v, want 0, >= 1, nil", have, know, err)
	}
	// Any other failure is one, even if its message says "does not
	// exist" (here of a function, SQLSTATE 42883).
	if _, err := db.Pool.Exec(ctx, `CREATE SCHEMA broken;
		CREATE FUNCTION broken.v() RETURNS int LANGUAGE plpgsql AS 'BEGIN RETURN broken.nosuch(); END';
		CREATE VIEW broken.schema_migrations AS SELECT broken.v() AS version`); err != nil {
		t.Fatal(err)
	}
	if _, _, err := schema.Version(ctx, open(map[string]string{"search_path": "broken"})); err == nil {
		t.Fatal("version of an unreadable schema_migrations: no error")
	} else if !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("version of an unreadable schema_migrations: %v, want the function's error", err)
	}
}

func TestTimezoneIsFixed(t *testing.T) {
	db := pgtest.New(t)
	utc := time.UTC
	_, err := schema.Open(context.Background(), db.ConnString, utc, pgtest.Log())
	if err == nil {
		t.Fatal("opening a Berlin database with UTC days succeeded")
	}
	t.Log(err)
}

// TestPartitionsFollowLocalDays checks partition bounds on the DST change
// of 2026-10-25 in Berlin (a 25-hour day) and that COPY routes rows there.
func TestPartitionsFollowLocalDays(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	parts := schema.NewPartitions(db.Pool, db.Loc)
	// 00:30 and 23:30 local on the 25-hour day, and 00:10 the next day.
	times := []time.Time{
		time.Date(2026, 10, 25, 0, 30, 0, 0, db.Loc),
		time.Date(2026, 10, 25, 23, 30, 0, 0, db.Loc),
		time.Date(2026, 10, 26, 0, 10, 0, 0, db.Loc),
	}
	var buf schema.CopyBuffer
	buf.Reset()
	for i, ts := range times {
		if err := parts.Ensure(ctx, "proxy", ts); err != nil {
			t.Fatal(err)
		}
		buf.Row(7)
		buf.String("lan")
		buf.Inet(netip.MustParseAddr("10.4.24.77"))
		buf.String("http://x/")
		buf.Timestamptz(ts)
		buf.Int64(int64(i))
		buf.String("TCP_MISS/200")
		buf.String("GET")
	}
	conn, err := db.Pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	n, err := schema.CopyFrom(ctx, conn.Conn().PgConn(), "proxy",
		[]string{"lan_name", "ip_client", "url", "zeit", "size", "status", "methode"}, buf.Finish())
	if err != nil || n != 3 {
		t.Fatalf("copy: %d rows, %v", n, err)
	}
	var hours float64
	err = db.Pool.QueryRow(ctx, `SELECT extract(epoch FROM max(zeit) - min(zeit)) / 3600 FROM proxy_p20261025`).Scan(&hours)
	if err != nil || hours != 24 {
		t.Fatalf("rows of 2026-10-25 span %v hours (want 24: 00:30 to 23:30 on a 25-hour day), err %v", hours, err)
	}
	var next int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM proxy_p20261026`).Scan(&next); err != nil || next != 1 {
		t.Fatalf("2026-10-26 partition has %d rows, err %v", next, err)
	}
	// Ensure is idempotent, also from a fresh cache.
	if err := schema.NewPartitions(db.Pool, db.Loc).Ensure(ctx, "proxy", times[0]); err != nil {
		t.Fatal(err)
	}
}

func TestCopyEncodesTypes(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	ts := time.Date(2026, 11, 21, 13, 45, 12, 123456000, time.UTC)
	if err := schema.NewPartitions(db.Pool, db.Loc).Ensure(ctx, "proxy", ts); err != nil {
		t.Fatal(err)
	}
	var buf schema.CopyBuffer
	buf.Row(9)
	buf.Null()
	buf.Inet(netip.MustParseAddr("2001:db8::42"))
	buf.String("http://ü/|\\")
	buf.Timestamptz(ts)
	buf.Int64(1 << 40)
	buf.String("TCP_HIT/200")
	buf.String("GET")
	buf.Int32(-5)
	buf.TextOrNull(nil)
	conn, _ := db.Pool.Acquire(ctx)
	defer conn.Release()
	_, err := schema.CopyFrom(ctx, conn.Conn().PgConn(), "proxy",
		[]string{"lan_name", "ip_client", "url", "zeit", "size", "status", "methode", "elapsed_ms", "ident"}, buf.Finish())
	if err != nil {
		t.Fatal(err)
	}
	var (
		lan, ident *string
		ip         netip.Addr
		url        string
		zeit       time.Time
		size       int64
		el         int32
	)
	err = conn.QueryRow(ctx, `SELECT lan_name, ip_client, url, zeit, size, elapsed_ms, ident FROM proxy`).Scan(&lan, &ip, &url, &zeit, &size, &el, &ident)
	if err != nil {
		t.Fatal(err)
	}
	if lan != nil || ident != nil || ip.String() != "2001:db8::42" || url != "http://ü/|\\" || !zeit.Equal(ts) || size != 1<<40 || el != -5 {
		t.Fatalf("got %v %v %q %v %d %d %v", lan, ip, url, zeit, size, el, ident)
	}
}

// TestSrcFileIndexesAskNoSummaries: the src_file BRIN indexes, of the
// tables and of a partition made after the migrations, leave summarizing
// to VACUUM: autosummarize asked autovacuum more than its queue holds and
// filled the server's log with requests "not recorded".
func TestSrcFileIndexesAskNoSummaries(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	if err := schema.NewPartitions(db.Pool, db.Loc).Ensure(ctx, "mta", time.Date(2026, 11, 21, 12, 0, 0, 0, db.Loc)); err != nil {
		t.Fatal(err)
	}
	rows, err := db.Pool.Query(ctx, `SELECT i.relname, coalesce(array_to_string(i.reloptions, ','), '')
		FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_am a ON a.oid = i.relam
		WHERE a.amname = 'brin' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var name, opts string
		if err := rows.Scan(&name, &opts); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
		if strings.Contains(opts, "autosummarize=on") {
			t.Errorf("index %s: options %q", name, opts)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	want := []string{"http_src_file", "mta_p20261121_src_file_idx", "mta_src_file", "proxy_src_file"}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Fatalf("BRIN indexes %v, want %v", names, want)
	}
}
