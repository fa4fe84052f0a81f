// Package schema owns the database: embedded migrations, daily partitions,
// the connection pool, binary COPY, and the private PostgreSQL cluster used
// when no server is configured.
package schema

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Open connects to the server, applies pending migrations and checks that
// the database's days follow loc. Every session runs in loc, so SQL that
// says date(zeit) means the configured local day.
func Open(ctx context.Context, connString string, loc *time.Location, log *slog.Logger) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(connString)
	if err != nil {
		return nil, fmt.Errorf("database settings: %w", err)
	}
	cfg.ConnConfig.RuntimeParams["timezone"] = loc.String()
	cfg.ConnConfig.RuntimeParams["application_name"] = "ispacct"
	// Our queries scan, sort and copy rows, which JIT compilation does
	// not speed up: a day's archive spent 0.4 s of CPU compiling for it.
	if _, set := cfg.ConnConfig.RuntimeParams["jit"]; !set {
		cfg.ConnConfig.RuntimeParams["jit"] = "off"
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = 10 * time.Second
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", Describe(cfg.ConnConfig), err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to %s: %w", Describe(cfg.ConnConfig), err)
	}
	if _, err := Migrate(ctx, pool, log); err != nil {
		pool.Close()
		return nil, err
	}
	if err := checkTimezone(ctx, pool, loc); err != nil {
		pool.Close()
		return nil, err
	}
	return pool, nil
}

// Describe names a server for messages: host, port and database, never
// the password.
func Describe(c *pgx.ConnConfig) string {
	return fmt.Sprintf("postgres %s:%d/%s", c.Host, c.Port, c.Database)
}

// ZoneError is a configured time zone other than the one the database
// recorded at first use: a configuration error, not a failure.
type ZoneError struct{ Database, Configured string }

func (e *ZoneError) Error() string {
	return fmt.Sprintf("the database's days follow time zone %q but the configuration says %q: keep %q or use a new database",
		e.Database, e.Configured, e.Database)
}

// checkTimezone records the time zone at first use and refuses another
// one later: partition boundaries are local midnights, and a database
// whose days moved would get overlapping partitions.
func checkTimezone(ctx context.Context, pool *pgxpool.Pool, loc *time.Location) error {
	var tz string
	err := pool.QueryRow(ctx, `
		WITH ins AS (
			INSERT INTO ispacct_meta (key, value) VALUES ('timezone', $1)
			ON CONFLICT (key) DO NOTHING RETURNING value)
		SELECT value FROM ins UNION ALL SELECT value FROM ispacct_meta WHERE key = 'timezone'`,
		loc.String()).Scan(&tz)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("read database time zone: %w", err)
	}
	if tz != loc.String() {
		return &ZoneError{Database: tz, Configured: loc.String()}
	}
	return nil
}
