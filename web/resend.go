package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"time"

	"github.com/ispacct/ispacct/jobs/deliver"
	"github.com/ispacct/ispacct/jobs/report"
	jobrun "github.com/ispacct/ispacct/jobs/run"
	"github.com/ispacct/ispacct/lock"
)

// maxResend bounds the periods of one re-request: a slip of the year in
// a date must not rebuild a year of archives over a dial-in evening.
const maxResend = 62

type resendForm struct {
	From, To, Period string
	Channels         []string // ticked
	Maildir, SMTP    bool     // configured
	MaildirPath      string
	SMTPTo           []string
}

type resendOutcome struct {
	Run      jobrun.Result
	Error    string // the re-request failed
	Archives []resendArchive
	Sent     []deliver.Delivery
	Waiting  []deliver.Delivery
}

type resendArchive struct {
	deliver.ArchiveResult
	Name string
}

type resendPage struct {
	Form    resendForm
	Outcome *resendOutcome
}

func (s *Server) newResendForm() resendForm {
	m := s.cfg().Mail
	f := resendForm{Period: "day", Maildir: m.MaildirEnabled(), SMTP: m.SMTPEnabled(), MaildirPath: m.Maildir, SMTPTo: m.To}
	y := s.now().In(s.cfg().Loc).AddDate(0, 0, -1).Format(time.DateOnly)
	f.From, f.To = y, y
	if f.Maildir {
		f.Channels = append(f.Channels, deliver.ChannelMaildir)
	}
	if f.SMTP {
		f.Channels = append(f.Channels, deliver.ChannelSMTP)
	}
	return f
}

// periods checks the form: real dates in order, a kind of period, at
// least one configured channel, not too many periods, none in the future.
func (s *Server) resendPeriods(form url.Values, f *resendForm) ([]report.Period, error) {
	loc := s.cfg().Loc
	f.From, f.To, f.Period, f.Channels = form.Get("from"), form.Get("to"), form.Get("period"), form["channel"]
	if f.To == "" {
		f.To = f.From
	}
	if !s.cfg().Mail.Delivers() {
		return nil, &deliver.NotConfiguredError{}
	}
	if f.From == "" {
		return nil, errors.New("start date missing")
	}
	from, err := report.ParseDate(f.From, loc)
	if err != nil {
		return nil, fmt.Errorf("start %w", err)
	}
	to, err := report.ParseDate(f.To, loc)
	if err != nil {
		return nil, fmt.Errorf("end %w", err)
	}
	if to.Before(from) {
		return nil, fmt.Errorf("the start %s is after the end %s", f.From, f.To)
	}
	if f.Period != "day" && f.Period != "month" {
		return nil, fmt.Errorf("period %q: must be day or month", f.Period)
	}
	if len(f.Channels) == 0 {
		return nil, errors.New("no channel ticked: tick Maildir, SMTP or both")
	}
	for _, ch := range f.Channels {
		ok := (ch == deliver.ChannelMaildir && f.Maildir) || (ch == deliver.ChannelSMTP && f.SMTP)
		if !ok {
			return nil, fmt.Errorf("channel %q is not configured (mail.maildir, mail.smtp.host)", ch)
		}
	}
	ps, err := report.Periods(f.Period, from, to, loc)
	if err != nil {
		return nil, err
	}
	if len(ps) > maxResend {
		return nil, fmt.Errorf("%d periods: at most %d at once; re-request a shorter range, or use 'ispacct resend' on the box", len(ps), maxResend)
	}
	if p, ok := report.NotBegun(ps, s.now()); ok {
		return nil, fmt.Errorf("%s has not begun yet", p.Name())
	}
	return ps, nil
}

func (s *Server) resend(w http.ResponseWriter, r *http.Request, sess *session) {
	f := s.newResendForm()
	ps, err := s.resendPeriods(r.PostForm, &f)
	if err != nil {
		s.log.Warn("web: re-request refused", "user", sess.user, "error", err, "client", client(r))
		s.view(w, r, sess, http.StatusBadRequest, "resend", "Re-request archives", resendPage{Form: f}, "Nothing was run: "+err.Error())
		return
	}
	by := "web:" + sess.user
	s.log.Info("web: re-request", "user", sess.user, "periods", jobrun.ResendPeriod(ps), "channels", f.Channels, "client", client(r))
	opt := deliver.FromConfig(s.cfg(), s.log)
	opt.Channels = slices.Clone(f.Channels)
	// The work goes on if the browser gives up waiting on a slow line.
	ctx := context.WithoutCancel(r.Context())
	res, err := jobrun.Resend(ctx, jobrun.Deps{Pool: s.pool, Cfg: s.cfg(), Log: s.log, Now: s.now, By: by}, ps, opt)
	var held *lock.HeldError
	if errors.As(err, &held) {
		s.view(w, r, sess, http.StatusConflict, "resend", "Re-request archives", resendPage{Form: f},
			"Nothing was run: another delivery is under way ("+held.Error()+"); try again in a minute.")
		return
	}
	out := &resendOutcome{Run: res}
	if res.Deliver != nil {
		for _, a := range res.Deliver.Archives {
			out.Archives = append(out.Archives, resendArchive{ArchiveResult: a, Name: filepath.Base(a.Path)})
		}
		out.Sent, out.Waiting = res.Deliver.Sent, res.Deliver.Waiting
	}
	if err != nil {
		out.Error = "The re-request failed: " + err.Error()
	}
	// The outcome is shown at an address of its own (post, redirect,
	// get): reloading it on a slow line shows it again and sends nothing.
	key := sess.keep(&resendPage{Form: f, Outcome: out})
	http.Redirect(w, r, "/resend?outcome="+key, http.StatusSeeOther)
}

func (s *Server) resendForm(w http.ResponseWriter, r *http.Request, sess *session) {
	msg := ""
	if !s.cfg().Mail.Delivers() {
		msg = (&deliver.NotConfiguredError{}).Error()
	}
	if key := r.URL.Query().Get("outcome"); key != "" {
		p := sess.kept(key)
		if p == nil {
			s.view(w, r, sess, http.StatusNotFound, "resend", "Re-request archives", resendPage{Form: s.newResendForm()},
				"This outcome is no longer kept; the Overview lists the re-requests.")
			return
		}
		status := http.StatusOK
		if p.Outcome.Error != "" {
			msg, status = p.Outcome.Error, http.StatusInternalServerError
		}
		s.view(w, r, sess, status, "resend", "Re-request archives", p, msg)
		return
	}
	s.view(w, r, sess, http.StatusOK, "resend", "Re-request archives", resendPage{Form: s.newResendForm()}, msg)
}
