package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"sync"
	"time"
)

// Cookies.
const (
	sessionCookie = "ispacct_session"
	loginCookie   = "ispacct_login" // the login form's CSRF token
)

// session is a logged-in administrator. It lives in this process only:
// a restart asks for the password again, which is fine for one user.
type session struct {
	user    string
	hash    []byte // the user's password hash at login
	csrf    string // the token every form carries
	expires time.Time

	mu       sync.Mutex
	outcomes map[string]*resendPage // the last re-requests' outcomes, by key
	order    []string
}

// keepOutcomes is how many re-request outcomes a session keeps.
const keepOutcomes = 5

// keep stores a re-request's outcome for the page that shows it.
func (s *session) keep(p *resendPage) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.outcomes == nil {
		s.outcomes = map[string]*resendPage{}
	}
	key := token()[:16]
	s.outcomes[key] = p
	s.order = append(s.order, key)
	if len(s.order) > keepOutcomes {
		delete(s.outcomes, s.order[0])
		s.order = s.order[1:]
	}
	return key
}

func (s *session) kept(key string) *resendPage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.outcomes[key]
}

type sessions struct {
	mu    sync.Mutex
	ttl   time.Duration
	byKey map[string]*session
}

func newSessions(ttl time.Duration) *sessions {
	return &sessions{ttl: ttl, byKey: map[string]*session{}}
}

// token is 32 random bytes, URL-safe.
func token() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func (ss *sessions) start(user string, hash []byte, now time.Time) (string, *session) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for k, s := range ss.byKey {
		if now.After(s.expires) {
			delete(ss.byKey, k)
		}
	}
	key := token()
	s := &session{user: user, hash: hash, csrf: token(), expires: now.Add(ss.ttl)}
	ss.byKey[key] = s
	return key, s
}

func (ss *sessions) get(key string, now time.Time) *session {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s := ss.byKey[key]
	if s == nil || now.After(s.expires) {
		delete(ss.byKey, key)
		return nil
	}
	return s
}

func (ss *sessions) end(key string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	delete(ss.byKey, key)
}

// cookie is a cookie the page sets: never readable by script, never sent
// by another site's request, only over TLS when the page has it.
func (s *Server) cookie(name, value string, maxAge time.Duration) *http.Cookie {
	c := &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: s.cfg().Web.TLS(), MaxAge: int(maxAge.Seconds())}
	if maxAge < 0 {
		c.MaxAge = -1
	}
	return c
}

func same(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
