package web_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ispacct/ispacct/schema/pgtest"
	"github.com/ispacct/ispacct/web"
)

// routes are every page and action, with a form where one is taken.
var routes = []struct {
	method, path string
	form         url.Values
}{
	{"GET", "/", nil},
	{"GET", "/traffic", nil},
	{"GET", "/traffic?month=2026-11", nil},
	{"GET", "/archives", nil},
	{"GET", "/archives/acct-2026-11-21.zip", nil},
	{"GET", "/resend", nil},
	{"POST", "/resend", url.Values{"from": {"2026-11-21"}, "period": {"day"}, "channel": {"maildir"}}},
	{"GET", "/lans", nil},
	{"GET", "/rejects", nil},
	{"POST", "/logout", url.Values{}},
}

func TestMain(m *testing.M) { pgtest.Main(m) }

// resends counts the re-requests in the ledger and the messages queued.
func (s *site) resends(t *testing.T) (runs, deliveries int) {
	t.Helper()
	ctx := context.Background()
	if err := s.db.Pool.QueryRow(ctx, `SELECT count(*) FROM runs WHERE job = 'resend'`).Scan(&runs); err != nil {
		t.Fatal(err)
	}
	if err := s.db.Pool.QueryRow(ctx, `SELECT count(*) FROM deliveries`).Scan(&deliveries); err != nil {
		t.Fatal(err)
	}
	return runs, deliveries
}

// TestEveryRouteNeedsLogin: without a session a page sends the browser to
// the login form and an action is refused; nothing runs.
func TestEveryRouteNeedsLogin(t *testing.T) {
	s := newSite(t)
	runs, dels := s.resends(t)
	c := s.client(t)
	for _, r := range routes {
		t.Run(r.method+" "+r.path, func(t *testing.T) {
			c.t = t
			var a answer
			if r.method == "GET" {
				a = c.get(r.path)
				if a.status != http.StatusSeeOther || !strings.HasPrefix(a.header.Get("Location"), "/login?next=") {
					t.Fatalf("want a redirect to the login form, got %d %q", a.status, a.header.Get("Location"))
				}
			} else {
				a = c.post(r.path, r.form)
				if a.status != http.StatusForbidden {
					t.Fatalf("want 403, got %d", a.status)
				}
			}
			for _, h := range []string{"Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy"} {
				if a.header.Get(h) == "" {
					t.Errorf("header %s missing", h)
				}
			}
		})
	}
	// A session cookie made up by hand is no session.
	u, _ := url.Parse(s.srv.URL)
	c.http.Jar.SetCookies(u, []*http.Cookie{{Name: "ispacct_session", Value: "guessed"}})
	if a := c.get("/"); a.status != http.StatusSeeOther {
		t.Errorf("a guessed session: %d", a.status)
	}
	if r, d := s.resends(t); r != runs || d != dels {
		t.Fatalf("something ran without a login: %d re-requests, %d messages (before %d, %d)", r, d, runs, dels)
	}
}

// TestPagesLoggedIn: every page renders for the administrator, under
// 100 KB, with the security headers.
func TestPagesLoggedIn(t *testing.T) {
	s := newSite(t)
	c := s.client(t).loggedIn()
	want := map[string]string{
		"/":                       "Daily runs",
		"/traffic?day=2026-11-21": "mueller",
		"/traffic?month=2026-11":  "MiB per day",
		"/archives":               "acct-2026-11-21.zip",
		"/resend":                 "Rebuild and send",
		"/lans":                   "weber-lab",
		"/rejects":                "rejected",
	}
	for path, text := range want {
		a := c.get(path)
		if a.status != http.StatusOK || !strings.Contains(a.body, text) {
			t.Errorf("%s: %d, want %q in:\n%s", path, a.status, text, a.body)
		}
		if len(a.body) > 100<<10 {
			t.Errorf("%s weighs %d bytes, more than 100 KB", path, len(a.body))
		}
		if csp := a.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		if strings.Contains(a.body, "<script") || strings.Contains(a.body, "style=") {
			t.Errorf("%s has script or inline style, which the CSP forbids", path)
		}
		// What crosses the line: gzip, when the browser takes it.
		req, _ := http.NewRequest(http.MethodGet, c.base+path, nil)
		req.Header.Set("Accept-Encoding", "gzip, deflate")
		gz := c.do(req)
		if len(a.body) > 1024 && (gz.header.Get("Content-Encoding") != "gzip" || len(gz.body) >= len(a.body)) {
			t.Errorf("%s: %q, %d bytes on the line for %d", path, gz.header.Get("Content-Encoding"), len(gz.body), len(a.body))
		}
		t.Logf("%s: %d bytes, %d gzipped", path, len(a.body), len(gz.body))
	}
}

// TestLoginRefused: a wrong password, and after five the address waits
// even with the right one.
func TestLoginRefused(t *testing.T) {
	s := newSite(t)
	c := s.client(t)
	for i := range 5 {
		if a := c.login("wrong"); a.status != http.StatusUnauthorized || !strings.Contains(a.body, "Wrong user name or password") {
			t.Fatalf("attempt %d: %d", i, a.status)
		}
	}
	a := c.login(testPassword)
	if a.status != http.StatusTooManyRequests || !strings.Contains(a.body, "Too many failed logins") || a.header.Get("Retry-After") == "" {
		t.Fatalf("sixth attempt: %d %s", a.status, a.body)
	}
	if !strings.Contains(s.logs.String(), "login failed") || !strings.Contains(s.logs.String(), "user="+testUser) {
		t.Errorf("failed logins are not logged with the user:\n%s", s.logs.String())
	}
	// A password typed into the name field stays out of the log.
	s2 := newSite(t)
	c2 := s2.client(t)
	c2.get("/login")
	if a := c2.post("/login", url.Values{"csrf": {c2.csrf}, "user": {"KvS3cretPW"}, "password": {"x"}, "next": {"/"}}); a.status != http.StatusUnauthorized ||
		strings.Contains(s2.logs.String(), "KvS3cretPW") || !strings.Contains(s2.logs.String(), "login failed") {
		t.Errorf("a name the password file does not know: %d, logged:\n%s", a.status, s2.logs.String())
	}
}

// TestCSRFRefused: a form without the session's token, or with another,
// is refused and runs nothing; so is a login form from elsewhere.
func TestCSRFRefused(t *testing.T) {
	s := newSite(t)
	c := s.client(t).loggedIn()
	runs, dels := s.resends(t)
	form := url.Values{"from": {"2026-11-21"}, "period": {"day"}, "channel": {"maildir"}}
	// Another token: the session's with its first character changed
	// (never to itself: a token may start with "x").
	other := "x" + c.csrf[1:]
	if c.csrf[0] == 'x' {
		other = "y" + c.csrf[1:]
	}
	for _, tok := range []string{"", other} {
		f := url.Values{}
		for k, v := range form {
			f[k] = v
		}
		if tok != "" {
			f.Set("csrf", tok)
		}
		if a := c.post("/resend", f); a.status != http.StatusForbidden || !strings.Contains(a.body, "stale") {
			t.Errorf("token %q: %d %s", tok, a.status, a.body)
		}
	}
	if a := c.post("/logout", url.Values{}); a.status != http.StatusForbidden {
		t.Errorf("logout without token: %d", a.status)
	}
	if r, d := s.resends(t); r != runs || d != dels {
		t.Fatalf("a refused form ran: %d re-requests, %d messages", r, d)
	}
	elsewhere := s.client(t)
	if a := elsewhere.post("/login", url.Values{"user": {testUser}, "password": {testPassword}}); a.status != http.StatusForbidden {
		t.Errorf("login without the form's token: %d", a.status)
	}
}

// TestDownload: an archive by name, with its exact bytes; anything that
// is not an archive name is refused, whatever it is dressed as.
func TestDownload(t *testing.T) {
	s := newSite(t)
	c := s.client(t).loggedIn()
	name := "acct-2026-11-21.zip"
	want, err := os.ReadFile(filepath.Join(s.cfg.Report.OutDir, name))
	if err != nil {
		t.Fatal(err)
	}
	a := c.get("/archives/" + name)
	if a.status != http.StatusOK || a.body != string(want) || !strings.Contains(a.header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("download: %d, %d bytes, want %d", a.status, len(a.body), len(want))
	}
	sum := sha256.Sum256([]byte(a.body))
	if page := c.get("/archives"); !strings.Contains(page.body, hex.EncodeToString(sum[:])) {
		t.Errorf("the archives page does not show the sha256 %x", sum)
	}
	// A secret beside the archives, and a link named like an archive.
	os.WriteFile(filepath.Join(s.cfg.Report.OutDir, "secret.txt"), []byte("secret"), 0o644)
	os.Symlink(s.cfg.Web.PasswordFile, filepath.Join(s.cfg.Report.OutDir, "acct-2026-01-01.zip"))
	for _, p := range []string{
		"../ispacct.toml", "..%2fispacct.toml", "%2e%2e%2fstate%2fweb.passwd", "secret.txt",
		"acct-2026-11-21.zip.bak", "acct-2026-11-21.zip%00", "acct-2026-11-21.xlsx", "acct-26-11-21.zip",
		"acct-2026-01-01.zip", "%2fetc%2fpasswd", "acct-2026-11-21.zip%2f..%2f..%2fispacct.toml",
	} {
		a := c.get("/archives/" + p)
		if a.status == http.StatusOK || strings.Contains(a.body, "secret") || strings.Contains(a.body, "$2a$") || strings.Contains(a.body, "state_dir") {
			t.Errorf("%s: %d, served %.40q", p, a.status, a.body)
		}
	}
}

// TestResendBadInput: a bad date or choice is answered with what is
// wrong, and nothing runs.
func TestResendBadInput(t *testing.T) {
	s := newSite(t)
	c := s.client(t).loggedIn()
	runs, dels := s.resends(t)
	tests := []struct {
		name string
		form url.Values
		want string
	}{
		{"no start", url.Values{"period": {"day"}, "channel": {"maildir"}}, "start date missing"},
		{"not a date", url.Values{"from": {"21.11.2026"}, "period": {"day"}, "channel": {"maildir"}}, `start date "21.11.2026": want YYYY-MM-DD`},
		{"no such day", url.Values{"from": {"2026-02-30"}, "period": {"day"}, "channel": {"maildir"}}, `"2026-02-30": want YYYY-MM-DD, a real calendar date`},
		{"bad end", url.Values{"from": {"2026-11-20"}, "to": {"2026-13-01"}, "period": {"day"}, "channel": {"maildir"}}, "end date"},
		{"end before start", url.Values{"from": {"2026-11-21"}, "to": {"2026-11-20"}, "period": {"day"}, "channel": {"maildir"}}, "the start 2026-11-21 is after the end 2026-11-20"},
		{"bad period", url.Values{"from": {"2026-11-21"}, "period": {"week"}, "channel": {"maildir"}}, `period "week": must be day or month`},
		{"no channel", url.Values{"from": {"2026-11-21"}, "period": {"day"}}, "no channel ticked"},
		{"channel not configured", url.Values{"from": {"2026-11-21"}, "period": {"day"}, "channel": {"smtp"}}, `channel "smtp" is not configured`},
		{"too many", url.Values{"from": {"2026-01-01"}, "to": {"2026-11-21"}, "period": {"day"}, "channel": {"maildir"}}, "325 periods: at most 62"},
		{"future", url.Values{"from": {"2026-11-21"}, "to": {"2026-11-23"}, "period": {"day"}, "channel": {"maildir"}}, "2026-11-23 has not begun yet"},
		{"markup", url.Values{"from": {"<b>x</b>"}, "period": {"day"}, "channel": {"maildir"}}, "&lt;b&gt;x&lt;/b&gt;"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.t = t
			tt.form.Set("csrf", c.csrf)
			a := c.post("/resend", tt.form)
			text := html.UnescapeString(a.body)
			if a.status != http.StatusBadRequest || !strings.Contains(a.body, "Nothing was run: ") ||
				!(strings.Contains(text, tt.want) || strings.Contains(a.body, tt.want)) || strings.Contains(a.body, "<b>x") {
				t.Fatalf("%d, want 400 with %q in:\n%s", a.status, tt.want, a.body)
			}
		})
	}
	c.t = t
	for _, p := range []string{"/traffic?day=2026-02-30", "/traffic?month=11-2026", "/rejects?days=-1"} {
		if a := c.get(p); a.status != http.StatusBadRequest || !strings.Contains(a.body, "Nothing shown: ") {
			t.Errorf("%s: %d", p, a.status)
		}
	}
	if r, d := s.resends(t); r != runs || d != dels {
		t.Fatalf("a refused form ran: %d re-requests, %d messages", r, d)
	}
}

// TestResend: the form rebuilds the day's archive, puts it into the
// Maildir and records the re-request with the user in the ledger.
func TestResend(t *testing.T) {
	s := newSite(t)
	c := s.client(t).loggedIn()
	before, _ := filepath.Glob(filepath.Join(s.dir, "Maildir", "new", "*"))
	a := c.post("/resend", url.Values{"csrf": {c.csrf}, "from": {"2026-11-21"}, "period": {"day"}, "channel": {"maildir"}})
	loc := a.header.Get("Location")
	if a.status != http.StatusSeeOther || !strings.HasPrefix(loc, "/resend?outcome=") {
		t.Fatalf("%d %q:\n%s", a.status, loc, a.body)
	}
	// Shown at its own address, as often as asked, running nothing again.
	for range 2 {
		if a = c.get(loc); a.status != http.StatusOK || !strings.Contains(a.body, "<b>ok</b>") || !strings.Contains(a.body, "by web:admin") {
			t.Fatalf("%d:\n%s", a.status, a.body)
		}
	}
	if a := s.client(t).loggedIn().get(loc); a.status != http.StatusNotFound {
		t.Errorf("another session sees the outcome: %d", a.status)
	}
	if runs, _ := s.resends(t); runs != 1 {
		t.Errorf("%d re-requests in the ledger, want 1", runs)
	}
	after, _ := filepath.Glob(filepath.Join(s.dir, "Maildir", "new", "*"))
	if len(after) != len(before)+1 {
		t.Errorf("Maildir: %d messages, want %d", len(after), len(before)+1)
	}
	var by, status string
	err := s.db.Pool.QueryRow(context.Background(), `SELECT started_by, status FROM runs WHERE job = 'resend'`).Scan(&by, &status)
	if err != nil || by != "web:admin" || status != "ok" {
		t.Fatalf("ledger: %v %q %q", err, by, status)
	}
	if !strings.Contains(s.logs.String(), "web: re-request") || !strings.Contains(s.logs.String(), "user=admin") {
		t.Errorf("the action is not logged with the user:\n%s", s.logs.String())
	}
	if o := c.get("/"); !strings.Contains(o.body, "web:admin") {
		t.Errorf("the overview does not show the re-request")
	}
}

// TestRejectShownSafely: a rejected line is shown escaped, its bytes
// readable, cut short.
func TestRejectShownSafely(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	var id int64
	err := s.db.Pool.QueryRow(ctx, `INSERT INTO ingest_files (tbl, fingerprint, source, format, path)
		VALUES ('proxy', '\x01', 'squid', 'squid', '/var/log/squid/<evil>.log') RETURNING id`).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	raw := append([]byte("<script>alert(1)</script>\x00\xff\x1b[2J"), []byte(strings.Repeat("A", 9000))...)
	if _, err := s.db.Pool.Exec(ctx, `INSERT INTO rejects (file_id, line, byte_offset, reason, raw, recorded_at)
		VALUES ($1, 7, 700, 'bad <b>field</b>', $2, $3)`, id, raw, s.now.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	c := s.client(t).loggedIn()
	a := c.get("/rejects")
	for _, want := range []string{"&lt;script&gt;alert(1)&lt;/script&gt;\\x00\\xff\\x1b[2J", "bad &lt;b&gt;field&lt;/b&gt;", "/var/log/squid/&lt;evil&gt;.log", "… (9,031 bytes)"} {
		if !strings.Contains(a.body, want) {
			t.Errorf("want %q in the page", want)
		}
	}
	if strings.Contains(a.body, "<script>") || strings.Contains(a.body, "\x00") || len(a.body) > 20<<10 {
		t.Errorf("the raw line is not shown safely (%d bytes)", len(a.body))
	}
	if o := c.get("/"); !strings.Contains(o.body, "1 lines could not be loaded") {
		t.Errorf("the overview does not count the reject")
	}
}

// TestSessionCookie: the session cookie is out of script's and other
// sites' reach, and a logout ends the session on the server.
func TestSessionCookie(t *testing.T) {
	s := newSite(t)
	c := s.client(t)
	a := c.login(testPassword)
	cookie := a.header.Get("Set-Cookie")
	for _, want := range []string{"ispacct_session=", "HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=28800"} {
		if !strings.Contains(strings.Join(a.header.Values("Set-Cookie"), "\n"), want) {
			t.Errorf("session cookie %q lacks %s", cookie, want)
		}
	}
	if strings.Contains(cookie, "Secure") {
		t.Errorf("Secure without TLS: the browser would never send it back")
	}
	if a.header.Get("Location") != "/" {
		t.Errorf("after login: %q", a.header.Get("Location"))
	}
	var session *http.Cookie
	for _, ck := range c.http.Jar.Cookies(mustURL(t, s.srv.URL)) {
		if ck.Name == "ispacct_session" {
			session = ck
		}
	}
	c.get("/")
	if a := c.post("/logout", url.Values{"csrf": {c.csrf}}); a.status != http.StatusSeeOther {
		t.Fatalf("logout: %d", a.status)
	}
	// The old cookie, kept by an attacker, no longer opens anything.
	other := s.client(t)
	other.http.Jar.SetCookies(mustURL(t, s.srv.URL), []*http.Cookie{session})
	if a := other.get("/"); a.status != http.StatusSeeOther {
		t.Fatalf("a logged-out session still works: %d", a.status)
	}
	if !strings.Contains(s.logs.String(), "web: logged out") {
		t.Errorf("logout not logged")
	}
}

// TestPasswordChangeEndsSessions: 'ispacct web passwd' beside the running
// page ends the sessions of the user whose password changed, so a
// session stolen or left open does not outlive the password; another
// user's change, or none, ends nothing; a password file gone ends all.
func TestPasswordChangeEndsSessions(t *testing.T) {
	s := newSite(t)
	file := s.cfg.Web.PasswordFile
	c := s.client(t).loggedIn()
	if err := web.SetPassword(file, "deputy", "another long one"); err != nil {
		t.Fatal(err)
	}
	if a := c.get("/"); a.status != http.StatusOK {
		t.Fatalf("after another user's change: %d", a.status)
	}
	if err := web.SetPassword(file, testUser, "a new long password"); err != nil {
		t.Fatal(err)
	}
	if a := c.get("/"); a.status != http.StatusSeeOther || !strings.HasPrefix(a.header.Get("Location"), "/login") {
		t.Fatalf("after the password changed: %d %q, want a redirect to /login", a.status, a.header.Get("Location"))
	}
	if !strings.Contains(s.logs.String(), "session ended: the password changed") {
		t.Errorf("the ended session is not logged")
	}
	if a := c.login(testPassword); a.status != http.StatusUnauthorized {
		t.Fatalf("login with the old password: %d", a.status)
	}
	if a := c.login("a new long password"); a.status != http.StatusSeeOther {
		t.Fatalf("login with the new password: %d", a.status)
	}
	if a := c.get("/"); a.status != http.StatusOK {
		t.Fatalf("the new session: %d", a.status)
	}
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	if a := c.get("/"); a.status != http.StatusSeeOther {
		t.Fatalf("with the password file gone: %d, want a redirect to /login", a.status)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestSecureCookieUnderTLS: with web.cert the session cookie is Secure
// and the page asks the browser to keep to HTTPS.
func TestSecureCookieUnderTLS(t *testing.T) {
	s := newSite(t)
	cfg := *s.cfg
	cfg.Web.Cert, cfg.Web.Key = "web.crt", "web.key" // httptest brings its own
	h, err := web.New(web.Options{Config: &cfg, Pool: s.db.Pool, Now: func() time.Time { return s.now }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(h)
	defer srv.Close()
	c := s.client(t)
	c.base = srv.URL
	c.http.Transport = srv.Client().Transport
	a := c.login(testPassword)
	if a.status != http.StatusSeeOther || !strings.Contains(strings.Join(a.header.Values("Set-Cookie"), "\n"), "Secure") {
		t.Fatalf("login over TLS: %d %q", a.status, a.header.Values("Set-Cookie"))
	}
	if a.header.Get("Strict-Transport-Security") == "" {
		t.Errorf("no Strict-Transport-Security under TLS")
	}
	if a := c.get("/"); a.status != http.StatusOK {
		t.Errorf("the Secure cookie does not open the page over TLS: %d", a.status)
	}
}
