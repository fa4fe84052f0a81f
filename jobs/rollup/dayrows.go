package rollup

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ispacct/ispacct/schema"
	"github.com/jackc/pgx/v5"
)

// dayRows streams cols of the day's rows of src (a partition, or the
// parent table) through row. COPY (query) takes no parameters: the bounds
// are timestamps we format ourselves, never text from a log.
func dayRows(ctx context.Context, tx pgx.Tx, d dayRange, cols []string, row func([][]byte) error) (int64, error) {
	quoted := make([]string, len(cols))
	for i, col := range cols {
		quoted[i] = pgx.Identifier{col}.Sanitize()
	}
	sql := fmt.Sprintf("COPY (SELECT %s FROM %s WHERE zeit >= %s AND zeit < %s) TO STDOUT (FORMAT binary)",
		strings.Join(quoted, ", "), pgx.Identifier{d.src}.Sanitize(), literal(d.start), literal(d.end))
	c := schema.NewCopyReader(len(cols), row)
	if _, err := tx.Conn().PgConn().CopyTo(ctx, c, sql); err != nil {
		return c.Rows(), fmt.Errorf("read the day's rows: %w", err)
	}
	if err := c.Finish(); err != nil {
		return c.Rows(), fmt.Errorf("read the day's rows: %w", err)
	}
	return c.Rows(), nil
}

func literal(t time.Time) string { return "'" + t.Format(time.RFC3339Nano) + "'::timestamptz" }
