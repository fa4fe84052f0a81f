package web

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
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
func (s *Server) render(w http.ResponseWriter, status int, name string, p *page) {
	p.Zone = s.cfg.Loc.String()
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
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", fmt.Sprint(b.Len()))
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

// view is render for a logged-in page.
func (s *Server) view(w http.ResponseWriter, sess *session, status int, name, title string, data any, msg string) {
	s.render(w, status, name, &page{Title: title, User: sess.user, CSRF: sess.csrf, Data: data, Error: msg})
}

// failed shows a page that could not read what it shows.
func (s *Server) failed(w http.ResponseWriter, sess *session, name, title string, err error) {
	s.log.Error("web: page failed", "page", name, "user", sess.user, "error", err)
	s.view(w, sess, http.StatusInternalServerError, name, title, nil, "Could not read it: "+err.Error())
}
