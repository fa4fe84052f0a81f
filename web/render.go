package web

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"
)

// page is what every template gets: the layout's parts and the page's data.
type page struct {
	Title string
	Nav   string // the menu entry to mark
	User  string
	CSRF  string
	Zone  string
	Now   time.Time
	Error string // shown above the page, e.g. a bad date
	Data  any
}

// pageNames are the templates; each is parsed with the layout.
var pageNames = []string{"login", "overview", "traffic", "archives", "resend", "lans", "rejects"}

func (s *Server) parse() error {
	s.pages = map[string]*template.Template{}
	for _, name := range pageNames {
		t, err := template.New("layout.html").Funcs(s.funcs()).ParseFS(files, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return fmt.Errorf("web page template %s: %w", name, err)
		}
		s.pages[name] = t
	}
	return nil
}

// render writes a page whole, or an error if it cannot be rendered (a
// half-written page would hide that).
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, p *page) {
	p.Zone = s.cfg().Loc.String()
	p.Now = s.now()
	if p.Nav == "" {
		p.Nav = name
	}
	var b bytes.Buffer
	if err := s.pages[name].Execute(&b, p); err != nil {
		s.log.Error("web: page not rendered", "page", name, "error", err)
		http.Error(w, "The page could not be rendered; the log says why.", http.StatusInternalServerError)
		return
	}
	body := b.Bytes()
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Add("Vary", "Accept-Encoding")
	if gz := gzipped(body, r); gz != nil {
		// A dial-in line carries a table of figures compressed in an
		// eighth of the time. The session cookie is SameSite=Strict, so
		// no other site can have a logged-in page compressed next to
		// text of its choosing (BREACH).
		body = gz
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// gzipped is body compressed when the browser takes gzip and it is worth
// it, else nil.
func gzipped(body []byte, r *http.Request) []byte {
	if len(body) < 1024 || !acceptsGzip(r.Header.Get("Accept-Encoding")) {
		return nil
	}
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	zw.Write(body)
	zw.Close()
	return b.Bytes()
}

func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		name, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.TrimSpace(name) == "gzip" && strings.ReplaceAll(strings.TrimSpace(q), " ", "") != "q=0" {
			return true
		}
	}
	return false
}

// view is render for a logged-in page.
func (s *Server) view(w http.ResponseWriter, r *http.Request, sess *session, status int, name, title string, data any, msg string) {
	s.render(w, r, status, name, &page{Title: title, User: sess.user, CSRF: sess.csrf, Data: data, Error: msg})
}

// failed shows a page that could not read what it shows.
func (s *Server) failed(w http.ResponseWriter, r *http.Request, sess *session, name, title string, err error) {
	s.log.Error("web: page failed", "page", name, "user", sess.user, "error", err)
	s.view(w, r, sess, http.StatusInternalServerError, name, title, nil, "Could not read it: "+err.Error())
}
