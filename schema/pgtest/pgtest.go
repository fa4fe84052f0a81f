// Package pgtest gives tests a real PostgreSQL database of their own.
//
// The server is the one ISPACCT_TEST_DATABASE_URL names (a role that may
// CREATE DATABASE), or else a private cluster, started on first use and
// shared by all test processes. It lives in ISPACCT_TEST_STATE when set
// (make test's .state/test; whoever set it stops it), else under the
// system's temporary folder, where the last test process to finish stops
// it: each package's TestMain calls Main, and New refuses to run without.
// Each call to New creates a fresh database, applies the migrations, and
// drops it when the test ends.
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
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"syscall"
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
	// inMain is set by Main; users is this process's shared lock on the
	// cluster, held from first use until Main ends.
	inMain bool
	users  *os.File
)

// Main runs a package's tests and then, if this process was the last one
// using the shared cluster under the temporary folder, stops it, so that
// a plain go test ./... leaves no server running. Every package that
// calls New needs it:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
func Main(m *testing.M) {
	inMain = true
	code := m.Run()
	if err := release(); err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// usersFile is the lock file whose shared locks count the test processes
// using the cluster in dir. A process stops the cluster only when it can
// turn its shared lock into an exclusive one, that is when no other holds
// one; a process that comes meanwhile waits for its shared lock until the
// stop is done, then starts the cluster afresh.
func usersFile(dir string) string { return filepath.Join(dir, "users.lock") }

// use takes this process's shared lock on the cluster in dir.
func use(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(usersFile(dir), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH); err != nil {
		f.Close()
		return fmt.Errorf("lock %q: %w", f.Name(), err)
	}
	users = f
	return nil
}

// release gives up this process's lock and stops the cluster if no other
// test process holds one. A cluster in ISPACCT_TEST_STATE is left running:
// whoever named the folder stops it (make test does, at the end).
func release() error {
	if users == nil {
		return nil
	}
	defer users.Close()
	if os.Getenv("ISPACCT_TEST_STATE") != "" {
		return nil
	}
	if err := syscall.Flock(int(users.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return nil // another test process still uses it, and stops it when done
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := &schema.Cluster{StateDir: StateDir(), Log: Log()}
	if err := c.Stop(ctx); err != nil {
		return fmt.Errorf("stop the shared test cluster in %s: %w", StateDir(), err)
	}
	return nil
}

// Log is a logger that discards everything, for the code under test.
func Log() *slog.Logger { return slog.New(slog.DiscardHandler) }

// Count runs a query that returns one number, failing the test on error.
func Count(t testing.TB, pool *pgxpool.Pool, sql string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

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
		if !inMain {
			serverErr = errors.New("the package has no TestMain calling pgtest.Main(m), which stops the shared test cluster after the last test process")
			return
		}
		if serverErr = use(StateDir()); serverErr != nil {
			return
		}
		c := &schema.Cluster{StateDir: StateDir(), Log: Log()}
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
	pool, err := schema.Open(ctx, url, loc, Log())
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
