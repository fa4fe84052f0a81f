package schema

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Cluster is the private PostgreSQL server ispacct runs for itself when no
// server is configured: its own data directory under the state folder,
// listening on a Unix socket only, started on demand.
type Cluster struct {
	StateDir string // the state folder; the cluster lives in StateDir/pg
	Log      *slog.Logger
}

// ClusterDB, ClusterUser and ClusterPort name the private cluster's
// database. ClusterUser owns the database and is what ispacct works as;
// it is no superuser, so that no query can read the server's files or
// run programs. ClusterAdmin is the superuser, used only to set up roles
// and databases.
const (
	ClusterDB    = "ispacct"
	ClusterUser  = "ispacct"
	ClusterAdmin = "postgres"
	ClusterPort  = 5432
)

// ErrNoServerBinaries says that PostgreSQL's server programs are missing.
var ErrNoServerBinaries = errors.New("PostgreSQL server programs (initdb, pg_ctl) not found: install Debian's postgresql package (apt-get install postgresql), or set DATABASE_URL to use a server")

// ClusterStatus describes the private cluster.
type ClusterStatus struct {
	DataDir    string `json:"data_dir"`
	SocketDir  string `json:"socket_dir"`
	BinDir     string `json:"bin_dir,omitempty"`
	Running    bool   `json:"running"`
	PID        int    `json:"pid,omitempty"`
	ConnString string `json:"conn_string"`
}

// BinDir finds the directory holding initdb and pg_ctl: pg_config's
// bindir first, then Debian's /usr/lib/postgresql/<version>/bin, newest
// version first.
func BinDir() (string, error) {
	var dirs []string
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		dirs = append(dirs, strings.TrimSpace(string(out)))
	}
	versions, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(versions, func(i, j int) bool { return pgVersion(versions[i]) > pgVersion(versions[j]) })
	dirs = append(dirs, versions...)
	for _, d := range dirs {
		if isExecutable(filepath.Join(d, "initdb")) && isExecutable(filepath.Join(d, "pg_ctl")) {
			return d, nil
		}
	}
	return "", ErrNoServerBinaries
}

func pgVersion(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// baseDir is where the cluster lives. PostgreSQL refuses to run as root,
// so as root it runs as the postgres user, which must be able to reach the
// directory; when a parent is closed to it (a checkout under /root, say),
// the cluster lives under /var/lib/ispacct instead, named after the state
// folder so that each state folder keeps its own cluster.
func (c *Cluster) baseDir() (string, error) {
	abs, err := filepath.Abs(c.StateDir)
	if err != nil {
		return "", err
	}
	base := filepath.Join(abs, "pg")
	// The state folder itself is ispacct's and is made searchable when the
	// cluster starts; the folders above it are not ours to change.
	if os.Geteuid() != 0 || reachableByOthers(filepath.Dir(abs)) {
		return base, nil
	}
	sum := sha256.Sum256([]byte(abs))
	return filepath.Join("/var/lib/ispacct", "pg-"+hex.EncodeToString(sum[:4])), nil
}

// reachableByOthers reports whether every existing directory from / down
// to dir can be searched by any user.
func reachableByOthers(dir string) bool {
	for d := dir; ; d = filepath.Dir(d) {
		if fi, err := os.Stat(d); err == nil && fi.Mode().Perm()&0o001 == 0 {
			return false
		}
		if d == filepath.Dir(d) {
			return true
		}
	}
}

func (c *Cluster) paths() (data, sock string, err error) {
	base, err := c.baseDir()
	if err != nil {
		return "", "", err
	}
	sock = filepath.Join(base, "run")
	// A Unix socket path must fit in 108 bytes.
	if len(sock)+len("/.s.PGSQL.5432") > 100 {
		sum := sha256.Sum256([]byte(base))
		sock = filepath.Join(os.TempDir(), "ispacct-pg-"+hex.EncodeToString(sum[:6]))
	}
	return filepath.Join(base, "data"), sock, nil
}

// ConnString is how to reach the private cluster.
func (c *Cluster) ConnString() (string, error) {
	_, sock, err := c.paths()
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("host=%s port=%d user=%s dbname=%s sslmode=disable", sock, ClusterPort, ClusterUser, ClusterDB), nil
}

// AdminConnString is how to reach the running private cluster as its
// superuser, for setting up databases (tests, benchmarks): ClusterAdmin,
// or ClusterUser in a cluster made by an older ispacct, where it is the
// superuser.
func (c *Cluster) AdminConnString(ctx context.Context) (string, error) {
	_, sock, err := c.paths()
	if err != nil {
		return "", err
	}
	for _, user := range []string{ClusterAdmin, ClusterUser} {
		conn := fmt.Sprintf("host=%s port=%d user=%s dbname=postgres sslmode=disable", sock, ClusterPort, user)
		if super, err := isSuperuser(ctx, conn); err == nil && super {
			return conn, nil
		}
	}
	return "", fmt.Errorf("private database: no superuser to connect as")
}

func isSuperuser(ctx context.Context, conn string) (bool, error) {
	cn, err := pgx.Connect(ctx, conn)
	if err != nil {
		return false, err
	}
	defer cn.Close(ctx)
	var super bool
	err = cn.QueryRow(ctx, `SELECT rolsuper FROM pg_roles WHERE rolname = current_user`).Scan(&super)
	return super, err
}

// Status reports where the cluster is and whether it runs.
func (c *Cluster) Status() (ClusterStatus, error) {
	data, sock, err := c.paths()
	if err != nil {
		return ClusterStatus{}, err
	}
	st := ClusterStatus{DataDir: data, SocketDir: sock}
	st.ConnString, _ = c.ConnString()
	st.BinDir, _ = BinDir()
	st.PID, st.Running = postmasterPID(data)
	return st, nil
}

// postmasterPID reads postmaster.pid and checks that the process lives.
func postmasterPID(data string) (int, bool) {
	b, err := os.ReadFile(filepath.Join(data, "postmaster.pid"))
	if err != nil {
		return 0, false
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil || pid <= 0 {
		return 0, false
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return 0, false
	}
	return pid, true
}

// Start initialises the cluster if it has no data directory yet, starts it
// if it is not running, creates the ispacct database, and returns the
// connection string.
func (c *Cluster) Start(ctx context.Context) (string, error) {
	data, sock, err := c.paths()
	if err != nil {
		return "", err
	}
	conn, _ := c.ConnString()
	bin, err := BinDir()
	if err != nil {
		if _, running := postmasterPID(data); running {
			return conn, nil // a cluster someone else started; its binaries are not ours to find
		}
		return "", err
	}
	cred, err := serverCredential()
	if err != nil {
		return "", err
	}
	base := filepath.Dir(data)
	// Everything below is under the lock, the check whether it runs too:
	// another process may have started the server but not yet created the
	// database, and must not be taken as done.
	unlock, err := lockFile(filepath.Join(filepath.Dir(base), "pg.lock"))
	if err != nil {
		return "", err
	}
	defer unlock()
	if _, running := postmasterPID(data); running {
		return conn, c.createDatabase(ctx, sock)
	}
	if cred != nil {
		// The postgres user must pass through the folder holding the
		// cluster (the state folder, or /var/lib/ispacct): ours, so it is
		// made searchable, not readable, by others.
		holder := filepath.Dir(base)
		if fi, err := os.Stat(holder); err == nil && fi.Mode().Perm()&0o001 == 0 {
			if err := os.Chmod(holder, fi.Mode().Perm()|0o011); err != nil {
				return "", fmt.Errorf("private database: let the postgres user through %q: %w", holder, err)
			}
		}
	}
	for _, d := range []string{base, sock} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return "", fmt.Errorf("private database: %w", err)
		}
		if cred != nil {
			if err := os.Chown(d, int(cred.Uid), int(cred.Gid)); err != nil {
				return "", fmt.Errorf("private database: %w", err)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(data, "PG_VERSION")); err != nil {
		c.Log.Info("creating private database cluster", "data_dir", data)
		if err := c.run(ctx, cred, filepath.Join(bin, "initdb"), "-D", data, "-U", ClusterAdmin,
			"--auth=trust", "--encoding=UTF8", "--locale=C"); err != nil {
			return "", fmt.Errorf("initdb %q: %w", data, err)
		}
	}
	logFile := filepath.Join(base, "postgres.log")
	opts := fmt.Sprintf("-c listen_addresses='' -k %s -p %d", sock, ClusterPort)
	c.Log.Info("starting private database", "data_dir", data, "socket_dir", sock)
	if err := c.run(ctx, cred, filepath.Join(bin, "pg_ctl"), "-D", data, "-l", logFile, "-o", opts, "-w", "-t", "120", "start"); err != nil {
		return "", fmt.Errorf("start private database (log: %q): %w", logFile, err)
	}
	if err := c.createDatabase(ctx, sock); err != nil {
		return "", err
	}
	return conn, nil
}

// Stop stops the cluster if it runs.
func (c *Cluster) Stop(ctx context.Context) error {
	data, _, err := c.paths()
	if err != nil {
		return err
	}
	if _, running := postmasterPID(data); !running {
		return nil
	}
	bin, err := BinDir()
	if err != nil {
		return err
	}
	cred, err := serverCredential()
	if err != nil {
		return err
	}
	if err := c.run(ctx, cred, filepath.Join(bin, "pg_ctl"), "-D", data, "-m", "fast", "-w", "stop"); err != nil {
		return fmt.Errorf("stop private database: %w", err)
	}
	return nil
}

// createDatabase makes the application's role and its database, owned by
// it, as the superuser. A cluster made by an older ispacct has no
// ClusterAdmin: there ClusterUser is the superuser, and stays one.
func (c *Cluster) createDatabase(ctx context.Context, sock string) error {
	admin := ClusterAdmin
	conn, err := pgx.Connect(ctx, fmt.Sprintf("host=%s port=%d user=%s dbname=postgres sslmode=disable", sock, ClusterPort, admin))
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "28000" { // role does not exist
		admin = ClusterUser
		c.Log.Warn("the private database was made by an older ispacct: ispacct works in it as a superuser; to drop that, make it anew (ispacct db stop, move its data folder away, load the archives back)", "data_dir", filepath.Dir(sock))
		conn, err = pgx.Connect(ctx, fmt.Sprintf("host=%s port=%d user=%s dbname=postgres sslmode=disable", sock, ClusterPort, admin))
	}
	if err != nil {
		return fmt.Errorf("connect to private database: %w", err)
	}
	defer conn.Close(ctx)
	if admin == ClusterAdmin {
		// NOSUPERUSER and no right to make roles or databases: what the
		// application needs it has as the owner of its database.
		_, err := conn.Exec(ctx, `DO $$ BEGIN
			IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '`+ClusterUser+`') THEN
				CREATE ROLE `+pgx.Identifier{ClusterUser}.Sanitize()+` LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
			END IF;
		END $$`)
		if err != nil {
			return fmt.Errorf("private database: create role %s: %w", ClusterUser, err)
		}
	}
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, ClusterDB).Scan(&exists); err != nil {
		return fmt.Errorf("private database: %w", err)
	}
	if !exists {
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{ClusterDB}.Sanitize()+" OWNER "+pgx.Identifier{ClusterUser}.Sanitize()); err != nil {
			return fmt.Errorf("create database %s: %w", ClusterDB, err)
		}
	}
	return nil
}

// serverCredential is the user the server runs as: ourselves, or the
// postgres user when we are root.
func serverCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("PostgreSQL refuses to run as root and there is no postgres user to run it as (install Debian's postgresql package): %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}, nil
}

func (c *Cluster) run(ctx context.Context, cred *syscall.Credential, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = "/"
	cmd.Env = serverEnv(os.Environ())
	if cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(out.String())
		if len(msg) > 2000 {
			msg = msg[len(msg)-2000:]
		}
		return fmt.Errorf("%s: %w: %s", filepath.Base(name), err, msg)
	}
	return nil
}

// lockFile takes an exclusive flock on path, so that two processes do not
// initialise or start the cluster at once.
func lockFile(path string) (func(), error) {
	// The folder holding the lock (the state folder) is the owner's alone;
	// the folders above it, made here when missing, stay passable, for the
	// postgres user must get through them.
	dir := filepath.Dir(path)
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return nil, err
	}
	if err := os.Mkdir(dir, 0o750); err != nil && !errors.Is(err, os.ErrExist) {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %q: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %q: %w", path, err)
	}
	return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}

// serverEnv is the environment the server programs get: what PostgreSQL
// needs (the path, locale and time zone, its own OOM settings) and
// nothing else. ispacct's own may hold secrets (ISPACCT_SMTP_PASSWORD,
// PGPASSWORD, DATABASE_URL) that the server would otherwise keep in its
// environment for as long as it runs.
func serverEnv(env []string) []string {
	out := []string{}
	hasPath := false
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case k == "PATH":
			hasPath = true
			out = append(out, kv)
		case k == "LANG", k == "LANGUAGE", k == "TZ", strings.HasPrefix(k, "LC_"),
			strings.HasPrefix(k, "PG_OOM_ADJUST_"):
			out = append(out, kv)
		}
	}
	if !hasPath {
		out = append(out, "PATH=/usr/local/bin:/usr/bin:/bin")
	}
	return out
}
