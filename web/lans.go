package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/ispacct/ispacct/jobs/ingest"
	"github.com/ispacct/ispacct/jobs/landefs"
)

func (s *Server) lans(w http.ResponseWriter, r *http.Request, sess *session) {
	defs, err := landefs.List(r.Context(), s.pool)
	if err != nil {
		s.failed(w, r, sess, "lans", "LANs", err)
		return
	}
	s.view(w, r, sess, http.StatusOK, "lans", "LANs", struct {
		Defs       []landefs.Def
		VLANConfig string
	}{defs, s.cfg().Netsetup.VLANConfig}, "")
}

// Per file, the rejects page shows the first few lines, each cut short:
// a reject can be an 8 KB URL or binary garbage.
const (
	rejectSample = 10
	rejectRaw    = 300
)

type rejectFile struct {
	ingest.FileRejects
	Lines []rejectLine
}

type rejectLine struct {
	ingest.SampledReject
	Shown string
}

func (s *Server) rejects(w http.ResponseWriter, r *http.Request, sess *session) {
	days := rejectDays
	if v := r.URL.Query().Get("days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 400 {
			s.view(w, r, sess, http.StatusBadRequest, "rejects", "Rejected lines", nil, "Nothing shown: days "+strconv.Quote(v)+": want a number of days from 1 to 400")
			return
		}
		days = n
	}
	now := s.now()
	files, err := ingest.RecentRejects(r.Context(), s.pool, now.AddDate(0, 0, -days), now.Add(time.Minute), rejectSample, rejectRaw)
	if err != nil {
		s.failed(w, r, sess, "rejects", "Rejected lines", err)
		return
	}
	var out []rejectFile
	for _, f := range files {
		rf := rejectFile{FileRejects: f}
		for _, l := range f.Sample {
			rf.Lines = append(rf.Lines, rejectLine{SampledReject: l, Shown: shown(l.Raw, rejectRaw, l.Bytes)})
		}
		out = append(out, rf)
	}
	s.view(w, r, sess, http.StatusOK, "rejects", "Rejected lines", struct {
		Days   int
		Files  []rejectFile
		Sample int
	}{days, out, rejectSample}, "")
}
