package rollup

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ispacct/ispacct/schema"
)

// Fused is the rollup of one table's day summed from rows that another
// reader passes by: the daily chain's archive reads the day's rows anyway,
// so its rollup needs no read of its own. It gives the very rows Day
// gives, under the same lock: Begin marks the day clean in the reader's
// transaction before the reader's query takes its snapshot, Rows takes the
// rows as the reader's query returns them, and End
// writes the aggregates in it.
type Fused struct {
	Table string
	cols  []string // those Row takes, in order, binary
	d     dayRange
	sum   summer
}

// Begin starts the rollup of table's local day holding t in tx, which
// must then read every row of the day, in any order, through Rows. It returns
// nil when the day is retired: its aggregates stay as they are.
func Begin(ctx context.Context, tx pgx.Tx, table string, t time.Time, opt Options) (*Fused, error) {
	tb, err := tableOf(table)
	if err != nil {
		return nil, err
	}
	day := schema.Day(t, opt.Loc)
	d, retired, err := prepare(ctx, tx, table, day, opt, true)
	if err != nil || retired {
		return nil, err
	}
	if err := markClean(ctx, tx, table, day); err != nil {
		return nil, fmt.Errorf("rollup %s %s: %w", table, day.Format("2006-01-02"), err)
	}
	return &Fused{Table: table, cols: tb.cols, d: d, sum: tb.newSum()}, nil
}

// Rows returns what takes each row of a binary query with the columns
// fds, which must include the sums' own (by name, in any order): row gets
// the row's raw values, valid until the next row.
func (f *Fused) Rows(fds []pgconn.FieldDescription) (row func(vals [][]byte) error, err error) {
	at := make([]int, len(f.cols))
	for i, c := range f.cols {
		if at[i] = slices.IndexFunc(fds, func(fd pgconn.FieldDescription) bool { return fd.Name == c }); at[i] < 0 {
			return nil, fmt.Errorf("rollup %s: the rows lack column %s", f.Table, c)
		}
	}
	fields := make([][]byte, len(at))
	return func(vals [][]byte) error {
		for i, k := range at {
			fields[i] = vals[k]
		}
		if err := f.sum.row(fields); err != nil {
			return fmt.Errorf("rollup %s %s: %w", f.Table, f.Day(), err)
		}
		return nil
	}, nil
}

// End replaces the day's aggregates with the sums, in the transaction
// Begin was given.
func (f *Fused) End(ctx context.Context, tx pgx.Tx) error {
	if err := f.sum.write(ctx, tx, f.d); err != nil {
		return fmt.Errorf("rollup %s %s: %w", f.Table, f.Day(), err)
	}
	return nil
}

// Day is the day rolled up, as the ledger names it.
func (f *Fused) Day() string { return f.d.day.Format("2006-01-02") }
