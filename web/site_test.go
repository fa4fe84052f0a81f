package web_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ispacct/ispacct/config"
	"github.com/ispacct/ispacct/jobs/landefs"
	"github.com/ispacct/ispacct/jobs/report"
	jobrun "github.com/ispacct/ispacct/jobs/run"
	"github.com/ispacct/ispacct/schema/pgtest"
	"github.com/ispacct/ispacct/web"
)

const (
	testUser     = "admin"
	testPassword = "correct horse battery"
)

// site is a web page over a real database holding the sample logs of
// 2026-11-20 and 21, loaded by the daily chain (ingest, rollup, archive,
// delivery into a Maildir), as the box would have them.
type site struct {
	db   *pgtest.DB
	cfg  *config.Config
	dir  string
	srv  *httptest.Server
	logs *strings.Builder
	now  time.Time
}

func fixtures(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs("../fixtures")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func newSite(t *testing.T) *site {
	t.Helper()
	t.Setenv("DATABASE_URL", "")
	t.Setenv("ISPACCT_STATE_DIR", "")
	t.Setenv("ISPACCT_TIMEZONE", "")
	s := &site{db: pgtest.New(t), dir: t.TempDir(), logs: &strings.Builder{}}
	fx := fixtures(t)
	text := fmt.Sprintf(`timezone = "Europe/Berlin"
state_dir = %q
[ingest]
max_age_days = 100000
[[source]]
name = "squid"
format = "squid"
paths = [%q]
[[source]]
name = "web"
format = "apache-vhost"
paths = [%q]
[[source]]
name = "mail"
format = "postfix"
paths = [%q]
[report]
out_dir = %q
[mail]
maildir = %q
[netsetup]
vlan_config = %q
`, filepath.Join(s.dir, "state"), filepath.Join(fx, "squid/access.log"), filepath.Join(fx, "apache/sample.log"),
		filepath.Join(fx, "postfix/sample.log"), filepath.Join(s.dir, "out"), filepath.Join(s.dir, "Maildir"),
		filepath.Join(s.dir, "vlan.config"))
	p := filepath.Join(s.dir, "ispacct.toml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	s.cfg = cfg
	ctx := context.Background()
	if _, _, err := landefs.ImportFile(ctx, s.db.Pool, filepath.Join(fx, "landefs.txt"), false); err != nil {
		t.Fatal(err)
	}
	s.now = time.Date(2026, 11, 22, 10, 0, 0, 0, cfg.Loc)
	log := pgtest.Log()
	deps := jobrun.Deps{Pool: s.db.Pool, Cfg: cfg, Log: log, Now: func() time.Time { return s.now }, By: "daemon"}
	if _, err := jobrun.Daily(ctx, deps, report.Day(time.Date(2026, 11, 21, 0, 0, 0, 0, cfg.Loc), cfg.Loc)); err != nil {
		t.Fatal(err)
	}
	if err := web.SetPassword(cfg.Web.PasswordFile, testUser, testPassword); err != nil {
		t.Fatal(err)
	}
	h, err := web.New(web.Options{Config: cfg, Pool: s.db.Pool, Log: slog.New(slog.NewTextHandler(&lockedWriter{b: s.logs}, nil)),
		Now: func() time.Time { return s.now }})
	if err != nil {
		t.Fatal(err)
	}
	s.srv = httptest.NewServer(h)
	t.Cleanup(s.srv.Close)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("web log:\n%s", s.logs.String())
		}
	})
	return s
}

// lockedWriter: handlers log from the server's goroutines.
type lockedWriter struct {
	mu chan struct{}
	b  *strings.Builder
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	if w.mu == nil {
		w.mu = make(chan struct{}, 1)
	}
	w.mu <- struct{}{}
	defer func() { <-w.mu }()
	return w.b.Write(p)
}

// client is a browser without script: a cookie jar, no redirects followed
// unless asked.
type client struct {
	t    *testing.T
	base string
	http *http.Client
	csrf string
}

func (s *site) client(t *testing.T) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: s.srv.URL, http: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

type answer struct {
	status int
	header http.Header
	body   string
}

func (c *client) do(req *http.Request) answer {
	c.t.Helper()
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	a := answer{res.StatusCode, res.Header, string(b)}
	if m := csrfField.FindStringSubmatch(a.body); m != nil {
		c.csrf = m[1]
	}
	return a
}

func (c *client) get(path string) answer {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.base+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.do(req)
}

func (c *client) post(path string, form url.Values) answer {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

// login logs in as the administrator; the client then holds the session
// and its CSRF token.
func (c *client) login(password string) answer {
	c.t.Helper()
	c.get("/login")
	return c.post("/login", url.Values{"csrf": {c.csrf}, "user": {testUser}, "password": {password}, "next": {"/"}})
}

func (c *client) loggedIn() *client {
	c.t.Helper()
	if a := c.login(testPassword); a.status != http.StatusSeeOther {
		c.t.Fatalf("login: %d %s", a.status, a.body)
	}
	c.get("/") // the page's CSRF token
	return c
}
