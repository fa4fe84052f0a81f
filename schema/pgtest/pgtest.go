// Package pgtest gives tests a real PostgreSQL database of their own.
//
// The server is the one ISPACCT_TEST_DATABASE_URL names (a role that may
// CREATE DATABASE), or else a private cluster under the system's temporary
// folder, started on first use and shared by all test processes (make test
// stops it at the end). Each call to New creates a fresh database, applies
// the migrations, and drops it when the test ends.
//
// Without PostgreSQL's server programs the tests skip, except under CI=true,
// where they fail: CI must never pass by skipping.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ispacct/ispacct/schema"
)

// Berlin is the time zone tests use unless they say otherwise: it has DST.
var Berlin = mustLoad("Europe/Berlin")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

var (
	serverOnce sync.Once
	adminURL   string // makes and drops the test databases
	appURL     string // what the tests work as: their databases' owner
	serverErr  error
)

// StateDir is where the shared test cluster lives.
func StateDir() string {
	if d := os.Getenv("ISPACCT_TEST_STATE"); d != "" {
		return d
	}
	return filepath.Join(os.TempDir(), fmt.Sprintf("ispacct-pgtest-%d", os.Getuid()))
}

func server() (string, error) {
	serverOnce.Do(func() {
		if u := os.Getenv("ISPACCT_TEST_DATABASE_URL"); u != "" {
			adminURL, appURL = u, u
			return
		}
		c := &schema.Cluster{StateDir: StateDir(), Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		appURL, serverErr = c.Start(ctx)
		if serverErr == nil {
			adminURL, serverErr = c.AdminConnString(ctx)
		}
	})
	return adminURL, serverErr
}

// DB is a test's own database.
type DB struct {
	Pool       *pgxpool.Pool
	ConnString string
	Loc        *time.Location
}

// New returns a fresh migrated database whose days follow Berlin time.
func New(t testing.TB) *DB { return NewIn(t, Berlin) }

// NewIn returns a fresh migrated database whose days follow loc.
func NewIn(t testing.TB, loc *time.Location) *DB {
	t.Helper()
	admin, err := server()
	if err != nil {
		if errors.Is(err, schema.ErrNoServerBinaries) && os.Getenv("CI") != "true" {
			t.Skipf("needs PostgreSQL: %v", err)
		}
		t.Fatalf("test database server: %v", err)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("connect to test server: %v", err)
	}
	defer conn.Close(ctx)
	var rnd [6]byte
	rand.Read(rnd[:])
	name := "test_" + hex.EncodeToString(rnd[:])
	// Owned by the role the tests work as, as ispacct's own database is:
	// the migrations run as its owner, not as a superuser.
	cfg, err := pgx.ParseConfig(appURL)
	if err != nil {
		t.Fatal(err)
	}
	create := "CREATE DATABASE " + name
	if cfg.User != conn.Config().User {
		create += " OWNER " + pgx.Identifier{cfg.User}.Sanitize()
	}
	if _, err := conn.Exec(ctx, create); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	cfg.Database = name
	url := connString(cfg)
	pool, err := schema.Open(ctx, url, loc, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	t.Cleanup(func() {
		pool.Close()
		c, err := pgx.Connect(ctx, admin)
		if err != nil {
			return
		}
		defer c.Close(ctx)
		c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	return &DB{Pool: pool, ConnString: url, Loc: loc}
}

// connString renders a config back as a keyword/value string.
func connString(c *pgx.ConnConfig) string {
	s := fmt.Sprintf("host=%s port=%d dbname=%s sslmode=disable", c.Host, c.Port, c.Database)
	if c.User != "" {
		s += " user=" + c.User
	}
	if c.Password != "" {
		s += " password=" + c.Password
	}
	return s
}
