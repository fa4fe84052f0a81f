package rollup

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ispacct/ispacct/schema"
	"github.com/ispacct/ispacct/schema/pgtest"
)

// Helpers of the differential tests: the aggregates computed in Go must be
// the very rows the SQL they replace computed, on the same raw rows.

// diffDay is a 25-hour day (the end of summer time in Berlin).
var diffDay = time.Date(2026, 10, 25, 0, 0, 0, 0, pgtest.Berlin)

// load puts rows into table through COPY, after making the day's
// partition.
func loadRows(t *testing.T, db *pgtest.DB, table string, cols []string, rows [][]any) {
	t.Helper()
	ctx := context.Background()
	if err := schema.NewPartitions(db.Pool, db.Loc).Ensure(ctx, table, diffDay); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool.Exec(ctx, "TRUNCATE "+pgx.Identifier{table}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool.CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromRows(rows)); err != nil {
		t.Fatal(err)
	}
}

// within is a random instant of diffDay.
func within(r *rand.Rand) time.Time {
	return diffDay.Add(time.Duration(r.Int64N(int64(25 * time.Hour))))
}

// runReference runs the old SQL of table's day as rollup did: $1 the
// date, $2 and $3 the day's bounds, {{day_rows}} its partition.
func runReference(db *pgtest.DB, table string, statements []string) error {
	ctx := context.Background()
	from := pgx.Identifier{schema.PartitionName(table, diffDay)}.Sanitize()
	args := []any{diffDay.Format("2006-01-02"), diffDay, schema.NextDay(diffDay)}
	return pgx.BeginFunc(ctx, db.Pool, func(tx pgx.Tx) error {
		for _, st := range statements {
			if _, err := tx.Exec(ctx, strings.ReplaceAll(st, "{{day_rows}}", from), args[:maxParam(st)]...); err != nil {
				return err
			}
		}
		return nil
	})
}

// runGo computes table's day in Go, with lower() in Go or by the server.
func runGo(db *pgtest.DB, table string, lowerInGo bool) error {
	ctx := context.Background()
	d := dayRange{src: schema.PartitionName(table, diffDay), day: diffDay, start: diffDay, end: schema.NextDay(diffDay), lowerInGo: lowerInGo}
	tb, err := tableOf(table)
	if err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, db.Pool, func(tx pgx.Tx) error {
		sum := tb.newSum()
		if _, err := dayRows(ctx, tx, d, tb.cols, sum.row); err != nil {
			return err
		}
		return sum.write(ctx, tx, d)
	})
}

// runFused computes table's day as the daily chain's archive does.
func runFused(db *pgtest.DB, table string) error {
	return fuseDay(context.Background(), db.Pool, table, diffDay.Add(time.Hour), Options{Loc: db.Loc, Log: pgtest.Log()})
}

// fuseDay rolls up table's day holding t through a Fused fed by a binary
// query of the day's rows, in a random order, with more columns than it
// takes, as the archive's read feeds it.
func fuseDay(ctx context.Context, pool *pgxpool.Pool, table string, t time.Time, opt Options) error {
	day := schema.Day(t, opt.Loc)
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		f, err := Begin(ctx, tx, table, day, opt)
		if err != nil || f == nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT 1 AS extra, * FROM `+pgx.Identifier{table}.Sanitize()+` WHERE zeit >= $1 AND zeit < $2 ORDER BY random()`,
			pgx.QueryResultFormats{pgx.BinaryFormatCode}, day, schema.NextDay(day))
		if err != nil {
			return err
		}
		defer rows.Close()
		row, err := f.Rows(rows.FieldDescriptions())
		if err != nil {
			return err
		}
		for rows.Next() {
			if err := row(rows.RawValues()); err != nil {
				return err
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
		return f.End(ctx, tx)
	})
}

// snapshot is every row of the tables as PostgreSQL prints them: NULL and
// the empty text differ, text is byte for byte.
func snapshot(t *testing.T, db *pgtest.DB, tables ...string) string {
	t.Helper()
	var out strings.Builder
	for _, tb := range tables {
		var s *string
		err := db.Pool.QueryRow(context.Background(),
			`SELECT string_agg(x::text, E'\n' ORDER BY x::text COLLATE "C") FROM `+pgx.Identifier{tb}.Sanitize()+` x`).Scan(&s)
		if err != nil {
			t.Fatal(err)
		}
		out.WriteString(tb + "\n")
		if s != nil {
			out.WriteString(*s + "\n")
		}
	}
	return out.String()
}

func clearTables(t *testing.T, db *pgtest.DB, tables ...string) {
	t.Helper()
	for _, tb := range tables {
		if _, err := db.Pool.Exec(context.Background(), "DELETE FROM "+pgx.Identifier{tb}.Sanitize()); err != nil {
			t.Fatal(err)
		}
	}
}

// sameAsReference runs the reference and then each Go path on the rows
// loaded, and fails unless every path gives the reference's rows, or, where
// the reference fails, fails too and leaves the tables as they were. It
// returns the reference's error.
func sameAsReference(t *testing.T, db *pgtest.DB, table string, reference []string, aggs ...string) error {
	t.Helper()
	ctx := context.Background()
	clearTables(t, db, aggs...)
	// A row of another day that no path may touch.
	for _, a := range aggs {
		copyRowOfOtherDay(t, db, a)
	}
	before := snapshot(t, db, aggs...)
	refErr := runReference(db, table, reference)
	want := snapshot(t, db, aggs...)
	if refErr == nil && want == before {
		t.Fatal("the reference wrote no rows")
	}
	paths := []struct {
		name string
		run  func() error
	}{
		{"Day", func() error {
			return Day(ctx, db.Pool, table, diffDay, Options{Loc: db.Loc, Log: pgtest.Log()})
		}},
		{"lower in Go", func() error { return runGo(db, table, true) }},
		{"lower by the server", func() error { return runGo(db, table, false) }},
		{"fused into another read", func() error { return runFused(db, table) }},
	}
	for _, p := range paths {
		clearTables(t, db, aggs...)
		for _, a := range aggs {
			copyRowOfOtherDay(t, db, a)
		}
		err := p.run()
		got := snapshot(t, db, aggs...)
		switch {
		case refErr != nil && err == nil:
			t.Errorf("%s: no error where the reference failed with %v", p.name, refErr)
		case refErr != nil:
			if got != before {
				t.Errorf("%s failed (%v) but changed the tables", p.name, err)
			}
			t.Logf("%s: %v (reference: %v)", p.name, err, refErr)
		case err != nil:
			t.Errorf("%s: %v", p.name, err)
		case got != want:
			t.Errorf("%s differs from the reference:\n%s", p.name, diffLines(want, got))
		}
	}
	return refErr
}

// copyRowOfOtherDay adds a row for the day before diffDay to agg.
func copyRowOfOtherDay(t *testing.T, db *pgtest.DB, agg string) {
	t.Helper()
	sql := map[string]string{
		"agg_proxy_lan":  `INSERT INTO agg_proxy_lan VALUES ('2026-10-24', 'other day', 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13)`,
		"agg_proxy_site": `INSERT INTO agg_proxy_site VALUES ('2026-10-24', 'other day', 'h', 1, 2)`,
		"agg_http_vhost": `INSERT INTO agg_http_vhost VALUES ('2026-10-24', 'other day', 1, 2, 3, 4)`,
		"agg_http_user":  `INSERT INTO agg_http_user VALUES ('2026-10-24', 'other day', 'u', 1, 2)`,
	}[agg]
	if _, err := db.Pool.Exec(context.Background(), sql); err != nil {
		t.Fatal(err)
	}
}

// diffLines shows the lines only one side has.
func diffLines(want, got string) string {
	count := map[string]int{}
	for _, l := range strings.Split(want, "\n") {
		count[l]++
	}
	for _, l := range strings.Split(got, "\n") {
		count[l]--
	}
	var out []string
	for l, n := range count {
		switch {
		case n > 0:
			out = append(out, "- "+l)
		case n < 0:
			out = append(out, "+ "+l)
		}
		if len(out) > 40 {
			break
		}
	}
	return strings.Join(out, "\n")
}

// pick is a random element.
func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// str is a *string for a nullable text column: nil is NULL.
func str(s string) *string { return &s }
