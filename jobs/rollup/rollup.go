// Package rollup computes the aggregates the administrator bills by: per
// LAN, per destination host, per virtual host and user, per mailbox and
// domain, each keyed by local day. A day's aggregates are recomputed whole
// from that day's partition in one transaction, so a rerun changes
// nothing, a late file makes its day right, and the cost does not grow
// with the history the database holds.
package rollup

import (
	"context"
	"embed"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ispacct/ispacct/lock"
	"github.com/ispacct/ispacct/schema"
)

//go:embed sql/*.sql
var sqlFS embed.FS

// Table is a raw table with aggregates, and the SQL or the Go that
// computes them.
type Table struct {
	Table string
	// File, where set, is the SQL that Day runs.
	File string
	// newSum sums the day's rows (cols, binary) in Go: for Day when File is
	// not set, and for Fused always.
	cols   []string
	newSum func() summer
}

// tableOf is the named table's entry of Tables.
func tableOf(name string) (Table, error) {
	i := slices.IndexFunc(Tables, func(tb Table) bool { return tb.Table == name })
	if i < 0 {
		return Table{}, fmt.Errorf("rollup: no aggregates for table %q", name)
	}
	return Tables[i], nil
}

// Tables are the raw tables with aggregates.
var Tables = []Table{
	{Table: "proxy", cols: proxyCols, newSum: func() summer { return newProxyAgg() }},
	{Table: "http", cols: httpCols, newSum: func() summer { return newHTTPAgg() }},
	// Mail is summed by message: Day lets the server sort by it, Fused
	// holds the day's rows (see mailsum.go).
	{Table: "mta", File: "sql/mail.sql", cols: mailCols, newSum: newMailSummer},
}

// summer sums a day's rows of a table in Go.
type summer interface {
	row(f [][]byte) error
	// write replaces the day's aggregates with the sums.
	write(ctx context.Context, tx pgx.Tx, d dayRange) error
}

// dayRange is one local day of a raw table: its rows are those of src (its
// partition, or the parent when it has none) in [start, end).
type dayRange struct {
	src        string
	day        time.Time // local midnight
	start, end time.Time
	// lowerInGo: the database's lower() changes only A-Z.
	lowerInGo bool
	domains   []string // the local mail domains
}

// aggTable is one aggregate table's rows of a day, binary COPY encoded.
type aggTable struct {
	name string
	cols []string
	data []byte
}

// replaceDay replaces the day's rows of each table with its new ones.
// Table names are the code's own.
func replaceDay(ctx context.Context, tx pgx.Tx, d dayRange, tables []aggTable) error {
	date := d.day.Format("2006-01-02")
	for _, t := range tables {
		if _, err := tx.Exec(ctx, "DELETE FROM "+pgx.Identifier{t.name}.Sanitize()+" WHERE day = $1", date); err != nil {
			return fmt.Errorf("delete the day's %s: %w", t.name, err)
		}
		if _, err := schema.CopyFrom(ctx, tx.Conn().PgConn(), t.name, t.cols, t.data); err != nil {
			return err
		}
	}
	return nil
}

// Options tune a rollup.
type Options struct {
	Loc *time.Location
	// LocalDomains are the mail domains the box serves; they decide what
	// is mail in and mail out.
	LocalDomains []string
	Log          *slog.Logger
	// Leave are days Run leaves to another reader of their rows (see
	// Fused), dirty or in its range.
	Leave []DayTable
}

// DayTable is one table's aggregates of one local day.
type DayTable struct {
	Table string `json:"table"`
	Day   string `json:"day"`
}

// Result says what was recomputed.
type Result struct {
	Recomputed []DayTable `json:"recomputed"`
	Seconds    float64    `json:"seconds"`
}

// statements splits a file into its statements: the extended protocol
// takes one at a time.
func statements(file string) ([]string, error) {
	b, err := sqlFS.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, st := range strings.Split(string(b), ";\n") {
		code := false
		for _, l := range strings.Split(st, "\n") {
			if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "--") {
				code = true
			}
		}
		if code {
			out = append(out, st)
		}
	}
	return out, nil
}

// Day recomputes table's aggregates for the local day holding t.
func Day(ctx context.Context, pool *pgxpool.Pool, table string, t time.Time, opt Options) error {
	tb, err := tableOf(table)
	if err != nil {
		return err
	}
	day := schema.Day(t, opt.Loc)
	rng, retired, err := prepare(ctx, pool, table, day, opt, tb.File == "")
	if err != nil || retired {
		return err
	}
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if err := markClean(ctx, tx, table, day); err != nil {
			return err
		}
		if tb.File != "" {
			return runFile(ctx, tx, tb.File, rng)
		}
		sum := tb.newSum()
		if _, err := dayRows(ctx, tx, rng, tb.cols, sum.row); err != nil {
			return err
		}
		return sum.write(ctx, tx, rng)
	})
	if err != nil {
		return fmt.Errorf("rollup %s %s: %w", table, day.Format("2006-01-02"), err)
	}
	return nil
}

// runFile runs file's statements in order on the day: $1 its date, $2 and
// $3 its bounds, $4 the local mail domains, {{day_rows}} its rows' table.
func runFile(ctx context.Context, tx pgx.Tx, file string, d dayRange) error {
	sts, err := statements(file)
	if err != nil {
		return err
	}
	domains := d.domains
	if domains == nil {
		domains = []string{}
	}
	args := []any{d.day.Format("2006-01-02"), d.day, d.end, domains}
	from := pgx.Identifier{d.src}.Sanitize()
	for _, st := range sts {
		st = strings.ReplaceAll(st, "{{day_rows}}", from)
		if _, err := tx.Exec(ctx, st, args[:maxParam(st)]...); err != nil {
			return err
		}
	}
	return nil
}

// queryRower is a pool, a connection or a transaction.
type queryRower interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// prepare finds where table's day's rows are, or that the day is retired:
// its raw rows are past retention, and its aggregates stay as they are.
// inGo: the day is summed in Go, which needs to know how the server lowers
// text; its SQL needs not.
func prepare(ctx context.Context, q queryRower, table string, day time.Time, opt Options, inGo bool) (dayRange, bool, error) {
	date := day.Format("2006-01-02")
	var retired bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM retired_days WHERE tbl = $1 AND day = $2)`, table, date).Scan(&retired); err != nil {
		return dayRange{}, false, fmt.Errorf("rollup %s %s: %w", table, date, err)
	}
	if retired {
		opt.Log.Info("rollup skipped: the day's raw rows are past retention, its aggregates are kept as they are", "table", table, "day", date)
		return dayRange{}, true, nil
	}
	// The day's rows are read from its partition by name, so the planner
	// sees that partition's statistics alone, whatever the history. A day
	// without a partition has no rows: the parent gives none, quickly.
	src := schema.PartitionName(table, day)
	var exists bool
	if err := q.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, src).Scan(&exists); err != nil {
		return dayRange{}, false, fmt.Errorf("rollup %s %s: %w", table, date, err)
	}
	if !exists {
		src = table
	}
	rng := dayRange{src: src, day: day, start: day, end: schema.NextDay(day), domains: opt.LocalDomains}
	if !inGo {
		return rng, false, nil
	}
	if err := q.QueryRow(ctx, cLowerSQL).Scan(&rng.lowerInGo); err != nil {
		return dayRange{}, false, fmt.Errorf("rollup %s %s: %w", table, date, err)
	}
	return rng, false, nil
}

// markClean marks the day clean, first thing in the transaction that
// recomputes it: the row lock waits for an ingest that is adding rows to
// this day, and an ingest that commits after this marks it dirty again, so
// no committed row is ever missed.
func markClean(ctx context.Context, tx pgx.Tx, table string, day time.Time) error {
	_, err := tx.Exec(ctx, `INSERT INTO ingest_days (tbl, day, dirty) VALUES ($1, $2, false)
		ON CONFLICT (tbl, day) DO UPDATE SET dirty = false`, table, day.Format("2006-01-02"))
	return err
}

// Dirty lists the days ingest has added rows to since their last rollup.
func Dirty(ctx context.Context, pool *pgxpool.Pool) ([]DayTable, error) {
	return dirty(ctx, pool, "")
}

// DirtyIn lists those of the days in [from, to).
func DirtyIn(ctx context.Context, q querier, from, to time.Time) ([]DayTable, error) {
	return dirty(ctx, q, "AND day >= $1::date AND day < $2::date", from.Format("2006-01-02"), to.Format("2006-01-02"))
}

// querier is a pool, a connection or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// dirty lists the dirty days that also meet and, the code's own SQL.
func dirty(ctx context.Context, q querier, and string, args ...any) ([]DayTable, error) {
	rows, err := q.Query(ctx, `SELECT tbl, to_char(day, 'YYYY-MM-DD') FROM ingest_days WHERE dirty `+and+` ORDER BY day, tbl`, args...)
	if err != nil {
		return nil, fmt.Errorf("rollup: find days to recompute: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[DayTable])
}

// Run recomputes the days ingest touched since their last rollup, or,
// with from and to set, every table's every day in [from, to].
func Run(ctx context.Context, pool *pgxpool.Pool, from, to time.Time, opt Options) (*Result, error) {
	start := time.Now()
	l, err := lock.Acquire(ctx, pool, "rollup", true)
	if err != nil {
		return nil, err
	}
	defer l.Release()
	var todo []DayTable
	if from.IsZero() {
		if todo, err = Dirty(ctx, pool); err != nil {
			return nil, err
		}
	} else {
		for d := schema.Day(from, opt.Loc); !d.After(to); d = schema.NextDay(d) {
			for _, tb := range Tables {
				todo = append(todo, DayTable{tb.Table, d.Format("2006-01-02")})
			}
		}
	}
	todo = slices.DeleteFunc(todo, func(d DayTable) bool { return slices.Contains(opt.Leave, d) })
	res := &Result{Recomputed: []DayTable{}}
	for _, dt := range todo {
		day, err := time.ParseInLocation("2006-01-02", dt.Day, opt.Loc)
		if err != nil {
			return res, err
		}
		began := time.Now()
		if err := Day(ctx, pool, dt.Table, day, opt); err != nil {
			return res, err
		}
		res.Recomputed = append(res.Recomputed, dt)
		opt.Log.Debug("rolled up", "table", dt.Table, "day", dt.Day, "seconds", time.Since(began).Seconds())
	}
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

// maxParam is the highest $N a statement's code (not its comments) uses:
// each statement gets exactly its own arguments.
func maxParam(st string) int {
	var code strings.Builder
	for _, l := range strings.Split(st, "\n") {
		l, _, _ = strings.Cut(l, "--")
		code.WriteString(l + "\n")
	}
	st = code.String()
	n := 0
	for i := 0; i < len(st); i++ {
		if st[i] != '$' {
			continue
		}
		k := 0
		for i+1 < len(st) && st[i+1] >= '0' && st[i+1] <= '9' {
			i++
			k = k*10 + int(st[i]-'0')
		}
		n = max(n, k)
	}
	return n
}
