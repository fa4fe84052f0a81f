package web

import (
	"net/http"
	"syscall"
	"time"

	"github.com/ispacct/ispacct/jobs/deliver"
	"github.com/ispacct/ispacct/jobs/ingest"
	"github.com/ispacct/ispacct/jobs/rollup"
	jobrun "github.com/ispacct/ispacct/jobs/run"
	"github.com/ispacct/ispacct/schema"
)

// rejectDays is how far back the overview and the rejects page look.
const rejectDays = 7

type overviewPage struct {
	Jobs     []jobrun.JobStatus
	Resends  []jobrun.Run
	Waiting  []deliver.Delivery
	Rejects  []ingest.FileRejects
	Reject   int64 // all rejects of the last days
	DB       dbState
	Disk     diskState
	Delivers bool
}

type dbState struct {
	Have, Know int
	Bytes      int64
	Server     string
	Dirty      int // days waiting for their rollup
}

type diskState struct {
	Dir             string
	Archives        int
	Bytes           int64
	Free, Size      int64 // of the file system holding the archives; 0: unknown
	LatestArchive   string
	LatestArchiveAt time.Time
}

func (s *Server) overview(w http.ResponseWriter, r *http.Request, sess *session) {
	ctx, now := r.Context(), s.now()
	var p overviewPage
	var err error
	fail := func(e error) bool {
		if e != nil && err == nil {
			err = e
		}
		return err != nil
	}
	p.Delivers = s.cfg().Mail.Delivers()
	p.Jobs, err = jobrun.Overview(ctx, s.pool, s.cfg(), now, 5)
	if !fail(err) {
		p.Resends, err = jobrun.Runs(ctx, s.pool, jobrun.JobResend, 5)
	}
	if !fail(err) {
		p.Waiting, err = deliver.Waiting(ctx, s.pool)
	}
	if !fail(err) {
		p.Rejects, err = ingest.RecentRejects(ctx, s.pool, now.AddDate(0, 0, -rejectDays), now.Add(time.Minute), 0, 0)
		for _, f := range p.Rejects {
			p.Reject += f.Rejects
		}
	}
	if !fail(err) {
		p.DB.Have, p.DB.Know, err = schema.Version(ctx, s.pool)
	}
	if !fail(err) {
		p.DB.Bytes, p.DB.Server, err = schema.Size(ctx, s.pool)
	}
	if !fail(err) {
		var dirty []rollup.DayTable
		dirty, err = rollup.Dirty(ctx, s.pool)
		p.DB.Dirty = len(dirty)
	}
	if !fail(err) {
		p.Disk, err = s.disk()
	}
	if err != nil {
		s.failed(w, r, sess, "overview", "Overview", err)
		return
	}
	s.view(w, r, sess, http.StatusOK, "overview", "Overview", p, "")
}

func (s *Server) disk() (diskState, error) {
	d := diskState{Dir: s.cfg().Report.OutDir}
	list, _, err := s.listArchives(d.Dir, false)
	if err != nil {
		return d, err
	}
	d.Archives = len(list)
	for _, f := range list {
		d.Bytes += f.Bytes
		if f.ModTime.After(d.LatestArchiveAt) {
			d.LatestArchive, d.LatestArchiveAt = f.Name, f.ModTime
		}
	}
	var st syscall.Statfs_t
	if syscall.Statfs(d.Dir, &st) == nil {
		d.Free, d.Size = int64(st.Bavail)*int64(st.Bsize), int64(st.Blocks)*int64(st.Bsize)
	}
	return d, nil
}
