package schema

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Size is the database's size on disk in bytes, and the server's version.
func Size(ctx context.Context, pool *pgxpool.Pool) (bytes int64, server string, err error) {
	err = pool.QueryRow(ctx, `SELECT pg_database_size(current_database()), current_setting('server_version')`).Scan(&bytes, &server)
	if err != nil {
		return 0, "", fmt.Errorf("database size: %w", err)
	}
	return bytes, server, nil
}
