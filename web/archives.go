package web

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"sync"
	"syscall"
	"time"
)

// archiveName is the only kind of file the page hands out: an archive of
// a day or a month, perhaps age-encrypted. A name is all a request gives;
// no path, so nothing outside report.out_dir can be asked for.
var archiveName = regexp.MustCompile(`^acct-[0-9]{4}-[0-9]{2}(-[0-9]{2})?\.zip(\.age)?$`)

type archiveFile struct {
	Name    string
	Bytes   int64
	ModTime time.Time
	SHA256  string
}

// sumCache remembers the sha256 of archives by name, size and time, so a
// page view does not read every archive again. A view hashes what it can
// within sumBudget; the rest is hashed by one pass in the background, and
// the page says to reload: a year of archives is gigabytes to read.
type sumCache struct {
	budget  time.Duration // how long a view may spend hashing
	mu      sync.Mutex
	m       map[string]archiveSum
	pending bool // a background pass is under way
}

type archiveSum struct {
	size int64
	mod  time.Time
	sum  string
}

// cached is path's sum if it is known for this size and time.
func (c *sumCache) cached(path string, fi os.FileInfo) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[path]
	return e.sum, ok && e.size == fi.Size() && e.mod.Equal(fi.ModTime())
}

func (c *sumCache) sum(path string, fi os.FileInfo) (string, error) {
	if sum, ok := c.cached(path, fi); ok {
		return sum, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	sum := hex.EncodeToString(h.Sum(nil))
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]archiveSum{}
	}
	c.m[path] = archiveSum{fi.Size(), fi.ModTime(), sum}
	c.mu.Unlock()
	return sum, nil
}

// later hashes files in the background, unless a pass is under way (it
// will have been asked for the same files, or the next view asks again).
func (c *sumCache) later(files map[string]os.FileInfo, log *slog.Logger) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pending || len(files) == 0 {
		return
	}
	c.pending = true
	go func() {
		defer func() {
			c.mu.Lock()
			c.pending = false
			c.mu.Unlock()
		}()
		for path, fi := range files {
			if _, err := c.sum(path, fi); err != nil {
				log.Warn("web: archive not hashed", "path", path, "error", err)
			}
		}
	}()
}

// listArchives lists the archives in dir, newest period first; withSum
// adds each one's sha256 that is known or found within the cache's budget, and
// says how many are still being hashed.
func (s *Server) listArchives(dir string, withSum bool) (list []archiveFile, hashing int, err error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("list archives: %w", err)
	}
	deadline := time.Now().Add(s.sums.budget)
	rest := map[string]os.FileInfo{}
	// Newest first (ReadDir sorts by name, so by period): within the
	// budget the archives most likely wanted get their sums.
	for i := len(ents) - 1; i >= 0; i-- {
		e := ents[i]
		if !archiveName.MatchString(e.Name()) || !e.Type().IsRegular() {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		a := archiveFile{Name: e.Name(), Bytes: fi.Size(), ModTime: fi.ModTime()}
		if path := filepath.Join(dir, e.Name()); withSum {
			if sum, ok := s.sums.cached(path, fi); ok {
				a.SHA256 = sum
			} else if time.Now().Before(deadline) {
				if a.SHA256, err = s.sums.sum(path, fi); err != nil {
					return nil, 0, fmt.Errorf("archive %s: %w", e.Name(), err)
				}
			} else {
				rest[path] = fi
			}
		}
		list = append(list, a)
	}
	s.sums.later(rest, s.log)
	sort.Slice(list, func(i, j int) bool { return list[i].Name > list[j].Name })
	return list, len(rest), nil
}

type archivesPage struct {
	Dir     string
	Files   []archiveFile
	Bytes   int64
	Hashing int // archives whose sha256 is still being computed
}

func (s *Server) archives(w http.ResponseWriter, r *http.Request, sess *session) {
	dir := s.cfg().Report.OutDir
	list, hashing, err := s.listArchives(dir, true)
	if err != nil {
		s.failed(w, r, sess, "archives", "Archives", err)
		return
	}
	p := archivesPage{Dir: dir, Files: list, Hashing: hashing}
	for _, f := range list {
		p.Bytes += f.Bytes
	}
	s.view(w, r, sess, http.StatusOK, "archives", "Archives", p, "")
}

// download hands out one archive by name. http.ServeContent answers Range
// requests, so a download broken off on a dial-in line can go on.
func (s *Server) download(w http.ResponseWriter, r *http.Request, sess *session) {
	name := r.PathValue("name")
	if !archiveName.MatchString(name) {
		s.log.Warn("web: download refused, not an archive name", "user", sess.user, "name", name, "client", client(r))
		http.Error(w, "Not an archive name: want acct-YYYY-MM-DD.zip or acct-YYYY-MM.zip (optionally .age).", http.StatusBadRequest)
		return
	}
	path := filepath.Join(s.cfg().Report.OutDir, name)
	// O_NOFOLLOW: a link named like an archive leads nowhere else.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		http.Error(w, "No such archive: "+name, http.StatusNotFound)
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		http.Error(w, "No such archive: "+name, http.StatusNotFound)
		return
	}
	s.log.Info("web: archive downloaded", "user", sess.user, "name", name, "bytes", fi.Size(), "client", client(r))
	ct := "application/zip"
	if filepath.Ext(name) == ".age" {
		ct = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	http.ServeContent(w, r, name, fi.ModTime(), f)
}
