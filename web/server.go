// Package web is the administrator's web page: what ran and what waits,
// traffic per LAN, virtual host and mailbox, the archives to download, a
// form that rebuilds and sends the archives of a date range again, the
// LAN prefixes and the rejected lines. Pages are rendered on the server
// (html/template, inline SVG charts), everything they need is in the
// binary, and they work without JavaScript over a slow dial-in line.
//
// Only the administrator gets in: a bcrypt password file, sessions in
// HttpOnly SameSite=Strict cookies, a CSRF token on every form, login
// attempts limited per address and overall, a strict Content-Security-
// Policy. Every action is logged with the user; a re-request lands in the
// run ledger like a command.
package web

import (
	"context"
	"crypto/tls"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ispacct/ispacct/config"
)

//go:embed templates/*.html static/*
var files embed.FS

// Options are what the page needs.
type Options struct {
	Config *config.Config
	// Current, when set, is the configuration in force now (the daemon's
	// after a SIGHUP), so that the page builds and sends archives as the
	// chains do; Config then only gives what the listener was started
	// with (address, TLS, sessions).
	Current func() *config.Config
	Pool    *pgxpool.Pool
	Log     *slog.Logger
	// Now is the clock, time.Now when nil.
	Now func() time.Time
}

// Server serves the page; it is an http.Handler.
type Server struct {
	cfg       func() *config.Config
	pool      *pgxpool.Pool
	log       *slog.Logger
	now       func() time.Time
	pages     map[string]*template.Template
	sessions  *sessions
	passwords passwordCache // what the sessions are checked against
	limit     *limiter
	sums      *sumCache
	mux       *http.ServeMux
}

// New returns the page's handler.
func New(opt Options) (*Server, error) {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	current := opt.Current
	if current == nil {
		current = func() *config.Config { return opt.Config }
	}
	s := &Server{cfg: current, pool: opt.Pool, log: opt.Log, now: opt.Now,
		sessions: newSessions(time.Duration(opt.Config.Web.SessionHours) * time.Hour),
		limit:    newLimiter(), sums: &sumCache{budget: time.Second}, mux: http.NewServeMux()}
	if err := s.parse(); err != nil {
		return nil, err
	}
	static, _ := fs.Sub(files, "static")
	s.mux.Handle("GET /static/", http.StripPrefix("/static/", staticFiles(static)))
	s.mux.HandleFunc("GET /login", s.loginForm)
	s.mux.HandleFunc("POST /login", s.login)
	s.mux.Handle("POST /logout", s.auth(s.logout))
	s.mux.Handle("GET /{$}", s.auth(s.overview))
	s.mux.Handle("GET /traffic", s.auth(s.traffic))
	s.mux.Handle("GET /archives", s.auth(s.archives))
	s.mux.Handle("GET /archives/{name}", s.auth(s.download))
	s.mux.Handle("GET /resend", s.auth(s.resendForm))
	s.mux.Handle("POST /resend", s.auth(s.resend))
	s.mux.Handle("GET /lans", s.auth(s.lans))
	s.mux.Handle("GET /rejects", s.auth(s.rejects))
	return s, nil
}

// ServeHTTP sets the security headers every answer carries and serves.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	// Nothing runs but what the page is: no script at all, styles and
	// images from the page itself, forms only to it, never in a frame.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	if s.cfg().Web.TLS() {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
	s.mux.ServeHTTP(w, r)
}

// Serve listens on addr (TLS with web.cert and web.key) until ctx ends,
// then lets requests under way finish for a few seconds.
func Serve(ctx context.Context, addr string, opt Options) error {
	s, err := New(opt)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("web page: listen: %w", err)
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}
	web := opt.Config.Web
	scheme := "http"
	if web.TLS() {
		scheme = "https"
		srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	s.log.Info("web page listening", "url", scheme+"://"+ln.Addr().String()+"/", "password_file", web.PasswordFile)
	done := make(chan error, 1)
	go func() {
		if web.TLS() {
			done <- srv.ServeTLS(ln, web.Cert, web.Key)
		} else {
			done <- srv.Serve(ln)
		}
	}()
	select {
	case err := <-done:
		return fmt.Errorf("web page: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	err = srv.Shutdown(sctx)
	if e := <-done; !errors.Is(e, http.ErrServerClosed) && err == nil {
		err = e
	}
	s.log.Info("web page stopped")
	return err
}

// staticFiles serves the embedded style sheet; it may be cached a day.
func staticFiles(fsys fs.FS) http.Handler {
	h := http.FileServerFS(fsys)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "private, max-age=86400")
		h.ServeHTTP(w, r)
	})
}
