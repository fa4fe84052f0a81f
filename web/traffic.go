package web

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/ispacct/ispacct/jobs/report"
	"github.com/ispacct/ispacct/jobs/rollup"
)

// listLimit bounds the sites, vhosts and mailboxes a page lists (the
// workbook has them all); the LANs are always all there.
const listLimit = 30

// lineLANs is how many of the largest LANs get a line of their own.
const lineLANs = 5

type trafficPage struct {
	Kind, Name string // day or month; 2026-11-21 or 2026-11
	Day, Month string // the forms' values
	Prev, Next string // links to the neighbouring periods
	T          *rollup.Traffic
	Total      rollup.LANTraffic
	LANBars    template.HTML
	TotalLine  template.HTML // all LANs per day
	Lines      template.HTML // the largest LANs per day
	Legend     []string
	VHostBars  template.HTML
	MailBars   template.HTML
	Archive    string // the period's archive, when it exists
	ListLimit  int
	MailIn     int64
	MailOut    int64
}

// trafficPeriod reads ?day=YYYY-MM-DD or ?month=YYYY-MM; neither is
// yesterday.
func (s *Server) trafficPeriod(q url.Values) (report.Period, error) {
	loc := s.cfg().Loc
	switch {
	case q.Get("month") != "":
		t, err := time.ParseInLocation("2006-01", q.Get("month"), loc)
		if err != nil {
			return report.Period{}, fmt.Errorf("month %q: want YYYY-MM, e.g. 2026-11", q.Get("month"))
		}
		return report.Month(t, loc), nil
	case q.Get("day") != "":
		t, err := report.ParseDate(q.Get("day"), loc)
		if err != nil {
			return report.Period{}, err
		}
		return report.Day(t, loc), nil
	}
	return report.Day(s.now().In(loc).AddDate(0, 0, -1), loc), nil
}

func (s *Server) traffic(w http.ResponseWriter, r *http.Request, sess *session) {
	p, err := s.trafficPeriod(r.URL.Query())
	if err != nil {
		s.view(w, r, sess, http.StatusBadRequest, "traffic", "Traffic", nil, "Nothing shown: "+err.Error())
		return
	}
	tr, err := rollup.ReadTraffic(r.Context(), s.pool, p.Start, p.End, listLimit)
	if err != nil {
		s.failed(w, r, sess, "traffic", "Traffic", err)
		return
	}
	v := trafficPage{Kind: p.Kind, Name: p.Name(), T: tr, ListLimit: listLimit,
		Day: p.Start.Format(time.DateOnly), Month: p.Start.Format("2006-01")}
	prev, next := report.Day(p.Start.AddDate(0, 0, -1), s.cfg().Loc), report.Day(p.End, s.cfg().Loc)
	key := "day"
	if p.Kind == "month" {
		prev, next, key = report.Month(p.Start.AddDate(0, -1, 0), s.cfg().Loc), report.Month(p.End, s.cfg().Loc), "month"
	}
	v.Prev, v.Next = key+"="+prev.Name(), key+"="+next.Name()

	var bars []bar
	for _, l := range tr.LANs {
		v.Total.Requests += l.Requests
		v.Total.Bytes += l.Bytes
		v.Total.Hits += l.Hits
		v.Total.Denied += l.Denied
		bars = append(bars, bar{Label: lanName(l.LAN), Value: l.Bytes, Muted: l.LAN == ""})
	}
	v.LANBars = barChart("MiB per LAN", bars)
	if p.Kind == "month" {
		v.TotalLine, v.Lines, v.Legend = s.monthLines(p, tr)
	}
	bars = bars[:0]
	for i, h := range tr.VHosts {
		if i < 20 {
			bars = append(bars, bar{Label: h.VHost, Value: h.Bytes})
		}
	}
	v.VHostBars = barChart("MiB per virtual host", bars)
	bars = nil
	for i, m := range tr.Mailbox {
		v.MailIn += m.BytesIn
		v.MailOut += m.BytesOut
		if i < 20 {
			bars = append(bars, bar{Label: m.Mailbox, Value: m.BytesIn + m.BytesOut})
		}
	}
	v.MailBars = barChart("MiB per mailbox", bars)
	if _, err := os.Stat(filepath.Join(s.cfg().Report.OutDir, report.FileName(p))); err == nil {
		v.Archive = report.FileName(p)
	}
	s.view(w, r, sess, http.StatusOK, "traffic", "Traffic "+p.Name(), v, "")
}

// monthLines: the month's total per day, and the largest LANs' on a
// scale of their own (beside the total they would be flat).
func (s *Server) monthLines(p report.Period, tr *rollup.Traffic) (total, lans template.HTML, legend []string) {
	var days []string
	at := map[string]int{}
	for d := p.Start; d.Before(p.End); d = d.AddDate(0, 0, 1) {
		at[d.Format(time.DateOnly)] = len(days)
		days = append(days, d.Format("02"))
	}
	all := series{Label: "all LANs", Values: make([]int64, len(days))}
	var lines []series
	idx := map[string]int{}
	for _, l := range tr.LANs {
		if l.LAN != "" && len(lines) < lineLANs {
			idx[l.LAN] = len(lines)
			lines = append(lines, series{Label: l.LAN, Values: make([]int64, len(days))})
		}
	}
	for _, d := range tr.Daily {
		i, ok := at[d.Day.Format(time.DateOnly)]
		if !ok {
			continue
		}
		all.Values[i] += d.Bytes
		if j, ok := idx[d.LAN]; ok && d.LAN != "" {
			lines[j].Values[i] += d.Bytes
		}
	}
	for _, l := range lines {
		legend = append(legend, l.Label)
	}
	return lineChart("MiB per day, all LANs, "+p.Name(), days, []series{all}),
		lineChart("MiB per day, largest LANs, "+p.Name(), days, lines), legend
}

func lanName(n string) string {
	if n == "" {
		return report.Unassigned
	}
	return n
}
