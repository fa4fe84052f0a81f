package schema

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The migrations are plain SQL files named NNN_name.sql, applied in order,
// each in its own transaction, under an advisory lock so that two
// processes starting at once do not race. A runner this small does what
// we need without the template machinery a migration library brings in.
//
//go:embed migrations/*.sql
var migrationFS embed.FS

// Migration is one embedded schema step.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations returns the embedded migrations in version order.
func Migrations() ([]Migration, error) {
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return nil, err
	}
	var ms []Migration
	for _, e := range entries {
		num, name, ok := strings.Cut(strings.TrimSuffix(e.Name(), ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration file %q is not named NNN_name.sql", e.Name())
		}
		b, err := migrationFS.ReadFile(path.Join("migrations", e.Name()))
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: name, SQL: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i, m := range ms {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migration %d (%s) out of sequence: want %d", m.Version, m.Name, i+1)
		}
	}
	return ms, nil
}

const migrateLockKey = "ispacct:migrate"

// Migrate applies every migration the database does not have yet and
// returns how many it applied. It refuses a database whose schema is newer
// than this binary knows, rather than guessing.
func Migrate(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) (int, error) {
	ms, err := Migrations()
	if err != nil {
		return 0, err
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return 0, fmt.Errorf("migrate: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(hashtextextended($1, 0))`, migrateLockKey); err != nil {
		return 0, fmt.Errorf("migrate: take lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(hashtextextended($1, 0))`, migrateLockKey)

	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer PRIMARY KEY,
		name       text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return 0, fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	var current int
	if err := conn.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return 0, fmt.Errorf("migrate: read version: %w", err)
	}
	if current > len(ms) {
		return 0, fmt.Errorf("database schema version %d is newer than this ispacct knows (%d): upgrade ispacct", current, len(ms))
	}
	applied := 0
	for _, m := range ms[current:] {
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name)
			return err
		})
		if err != nil {
			return applied, fmt.Errorf("migrate: apply %03d_%s: %w", m.Version, m.Name, err)
		}
		log.Info("schema migrated", "version", m.Version, "name", m.Name)
		applied++
	}
	return applied, nil
}

// undefinedTable is SQLSTATE 42P01: the error of a query on a table that
// is not there, whatever language the server speaks (lc_messages).
const undefinedTable = "42P01"

// Version returns the schema version of the database and the newest this
// binary knows.
func Version(ctx context.Context, pool *pgxpool.Pool) (have, know int, err error) {
	ms, err := Migrations()
	if err != nil {
		return 0, 0, err
	}
	err = pool.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&have)
	if err != nil {
		// 42P01 undefined_table: a database no migration has touched yet.
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == undefinedTable {
			return 0, len(ms), nil
		}
		return 0, len(ms), fmt.Errorf("read schema version: %w", err)
	}
	return have, len(ms), nil
}
