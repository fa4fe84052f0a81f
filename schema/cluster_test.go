package schema_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ispacct/ispacct/schema"
	"github.com/ispacct/ispacct/schema/pgtest"
)

// TestClusterKeepsNoSecrets starts a private cluster of its own with
// secrets in ispacct's environment: the server's environment holds none
// of them, and ispacct works as its database's owner, not a superuser:
// the migrations and a day's partitions go through, reading the server's
// files does not.
func TestClusterKeepsNoSecrets(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL server of its own; not in -short")
	}
	if _, err := schema.BinDir(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skipf("needs PostgreSQL: %v", err)
	}
	secrets := map[string]string{
		"ISPACCT_SMTP_PASSWORD": "Smtp5ecretPW",
		"PGPASSWORD":            "Pg5ecretPW",
		"DATABASE_URL":          "postgres://u:Url5ecretPW@db.invalid/x",
	}
	for k, v := range secrets {
		t.Setenv(k, v)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := &schema.Cluster{StateDir: filepath.Join(t.TempDir(), "state"), Log: pgtest.Log()}
	conn, err := c.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.Status()
	if err != nil || !st.Running {
		t.Fatalf("status: %+v %v", st, err)
	}
	t.Cleanup(func() {
		c.Stop(context.Background())
		if base := filepath.Dir(st.DataDir); strings.Contains(base, "pg") {
			os.RemoveAll(base)
		}
	})

	env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", st.PID))
	if err != nil {
		t.Fatalf("read the server's environment: %v", err)
	}
	for k, v := range secrets {
		if bytes.Contains(env, []byte(v)) || bytes.Contains(env, []byte(k+"=")) {
			t.Errorf("the server's environment holds %s", k)
		}
	}
	t.Logf("server environment: %s", bytes.ReplaceAll(env, []byte{0}, []byte(" ")))

	// Open migrates, as the application's role.
	pool, err := schema.Open(ctx, conn, pgtest.Berlin, pgtest.Log())
	if err != nil {
		t.Fatalf("open and migrate as %s: %v", schema.ClusterUser, err)
	}
	defer pool.Close()
	var user string
	var super bool
	if err := pool.QueryRow(ctx, `SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user`).Scan(&user, &super); err != nil {
		t.Fatal(err)
	}
	if user != schema.ClusterUser || super {
		t.Fatalf("working as %s, superuser %v; want %s, no superuser", user, super, schema.ClusterUser)
	}
	if err := schema.NewPartitions(pool, pgtest.Berlin).Ensure(ctx, "proxy", time.Now()); err != nil {
		t.Fatalf("create a partition as the owner: %v", err)
	}
	for _, q := range []string{
		`SELECT pg_read_binary_file('/proc/self/environ')`,
		`COPY (SELECT 1) TO PROGRAM 'true'`,
		`CREATE DATABASE other`,
		`CREATE ROLE other SUPERUSER`,
	} {
		_, err := pool.Exec(ctx, q)
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "42501" { // insufficient_privilege
			t.Errorf("%s as %s: %v; want permission denied", q, user, err)
		}
	}
}
