package web

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// handler is a page for a logged-in administrator.
type handler func(w http.ResponseWriter, r *http.Request, sess *session)

// maxForm bounds what a form may send.
const maxForm = 64 << 10

// auth lets a request through only with a live session, and a form only
// with the session's CSRF token. Without a session a page answers with
// the login form's address, anything else with 403.
func (s *Server) auth(h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess := s.session(r)
		if sess == nil {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			s.log.Warn("web: refused, not logged in", "method", r.Method, "path", r.URL.Path, "client", client(r))
			http.Error(w, "Not logged in: open /login first.", http.StatusForbidden)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, maxForm)
			if err := r.ParseForm(); err != nil || !same(r.PostFormValue("csrf"), sess.csrf) {
				s.log.Warn("web: form refused, CSRF token missing or wrong", "user", sess.user, "path", r.URL.Path, "client", client(r))
				http.Error(w, "This form is stale or was not sent from this page: reload the page and send it again.", http.StatusForbidden)
				return
			}
		}
		s.log.Debug("web: request", "user", sess.user, "method", r.Method, "path", r.URL.Path, "client", client(r))
		h(w, r, sess)
	})
}

// client is the address a request came from: the TCP peer, never a
// header it could have written itself.
func client(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

type loginPage struct {
	Next, User, LoginCSRF string
}

// session is the request's live session, or nil. A session ends when
// its user's password changes or leaves the password file ('ispacct web
// passwd' run beside the daemon), and when the file cannot be read.
func (s *Server) session(r *http.Request) *session {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil
	}
	sess := s.sessions.get(c.Value, s.now())
	if sess == nil {
		return nil
	}
	hash, err := s.passwords.hash(s.cfg().Web.PasswordFile, sess.user)
	if err != nil || !bytes.Equal(hash, sess.hash) {
		s.sessions.end(c.Value)
		if err != nil {
			s.log.Error("web: session ended: the password file cannot be read", "user", sess.user, "error", err)
		} else {
			s.log.Info("web: session ended: the password changed", "user", sess.user, "client", client(r))
		}
		return nil
	}
	return sess
}

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) {
	if s.session(r) != nil {
		http.Redirect(w, r, safeNext(r.FormValue("next")), http.StatusSeeOther)
		return
	}
	s.showLogin(w, r, http.StatusOK, "")
}

func (s *Server) showLogin(w http.ResponseWriter, r *http.Request, status int, msg string) {
	tok := token()
	http.SetCookie(w, s.cookie(loginCookie, tok, time.Hour))
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, r, status, "login", &page{Title: "Log in", Error: msg,
		Data: loginPage{Next: safeNext(r.FormValue("next")), User: r.PostFormValue("user"), LoginCSRF: tok}})
}

// safeNext keeps a redirect after login on this site: a path of ours, or
// "/". Browsers drop tabs and newlines from a URL and read a backslash as
// a slash, so "/\t/evil.example" would leave the site: control bytes and
// backslashes are refused before the path is judged.
func safeNext(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.ContainsRune(p, '\\') {
		return "/"
	}
	for i := 0; i < len(p); i++ {
		if p[i] < 0x20 || p[i] == 0x7f {
			return "/"
		}
	}
	if u, err := url.Parse(p); err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "/"
	}
	return p
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "Bad form.", http.StatusBadRequest)
		return
	}
	addr, now := client(r), s.now()
	c, err := r.Cookie(loginCookie)
	if err != nil || !same(r.PostFormValue("csrf"), c.Value) {
		s.log.Warn("web: login form refused, CSRF token missing or wrong", "client", addr)
		s.showLogin(w, r, http.StatusForbidden, "This form is stale or was not sent from this page: please log in again.")
		return
	}
	if ok, wait := s.limit.allow(addr, now); !ok {
		s.log.Warn("web: login refused, too many failed attempts", "client", addr, "wait", wait.Round(time.Second))
		w.Header().Set("Retry-After", fmt.Sprint(int(wait.Seconds())+1))
		s.showLogin(w, r, http.StatusTooManyRequests,
			fmt.Sprintf("Too many failed logins: try again in %d minutes.", int(wait.Minutes())+1))
		return
	}
	user := r.PostFormValue("user")
	hash, err := checkUser(s.cfg().Web.PasswordFile, user, r.PostFormValue("password"))
	var nopw *NoPasswordError
	switch {
	case errors.As(err, &nopw):
		s.limit.release(addr, now)
		s.log.Error("web: login impossible", "error", err)
		s.showLogin(w, r, http.StatusServiceUnavailable, "No password is set yet. On the box, run: ispacct web passwd")
		return
	case err != nil:
		s.limit.release(addr, now)
		s.log.Error("web: login impossible", "error", err)
		s.showLogin(w, r, http.StatusInternalServerError, "The password file cannot be read; the log says why.")
		return
	case hash == nil:
		// What was typed as the name may be a password typed in the wrong
		// field: only a name the password file knows goes into the log.
		logged := "(unknown)"
		if hashes, err := readPasswords(s.cfg().Web.PasswordFile); err == nil && hashes[user] != nil {
			logged = user
		}
		s.log.Warn("web: login failed", "user", logged, "client", addr)
		s.showLogin(w, r, http.StatusUnauthorized, "Wrong user name or password.")
		return
	}
	s.limit.succeeded(addr, now)
	key, _ := s.sessions.start(user, hash, now)
	http.SetCookie(w, s.cookie(sessionCookie, key, time.Duration(s.cfg().Web.SessionHours)*time.Hour))
	http.SetCookie(w, s.cookie(loginCookie, "", -1))
	s.log.Info("web: logged in", "user", user, "client", addr)
	http.Redirect(w, r, safeNext(r.PostFormValue("next")), http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, sess *session) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		s.sessions.end(c.Value)
	}
	http.SetCookie(w, s.cookie(sessionCookie, "", -1))
	s.log.Info("web: logged out", "user", sess.user, "client", client(r))
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
