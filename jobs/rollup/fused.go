package rollup

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ispacct/ispacct/schema"
)

// Fused is the rollup of one table's day summed from rows that another
// reader passes by: the daily chain's archive reads the day's rows anyway,
// so its rollup needs no read of its own. It gives the very rows Day
// gives, under the same lock: Begin marks the day clean in the reader's
// transaction before the reader's query takes its snapshot, and End
// writes the aggregates in it.
type Fused struct {
	Table string
	// Cols are the columns Row takes, in order, in PostgreSQL's binary
	// format (a binary query's raw values).
	Cols []string
	d    dayRange
	sum  summer
}

// Begin starts the rollup of table's local day holding t in tx, which
// must then read every row of the day, in any order, into Row. It returns
// nil when the day is retired: its aggregates stay as they are.
func Begin(ctx context.Context, tx pgx.Tx, table string, t time.Time, opt Options) (*Fused, error) {
	tb, err := tableOf(table)
	if err != nil {
		return nil, err
	}
	day := schema.Day(t, opt.Loc)
	d, retired, err := prepare(ctx, tx, table, day, opt)
	if err != nil || retired {
		return nil, err
	}
	if err := markClean(ctx, tx, table, day); err != nil {
		return nil, fmt.Errorf("rollup %s %s: %w", table, day.Format("2006-01-02"), err)
	}
	return &Fused{Table: table, Cols: tb.cols, d: d, sum: tb.newSum()}, nil
}

// Row adds one row's Cols.
func (f *Fused) Row(fields [][]byte) error {
	if err := f.sum.row(fields); err != nil {
		return fmt.Errorf("rollup %s %s: %w", f.Table, f.Day(), err)
	}
	return nil
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
