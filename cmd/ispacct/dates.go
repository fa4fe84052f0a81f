package main

import (
	"flag"
	"time"

	"github.com/ispacct/ispacct/jobs/report"
)

// dateRange parses --from and --to (default: --from) as local days.
func dateRange(a *app, from, to string) (time.Time, time.Time, error) {
	if from == "" {
		return time.Time{}, time.Time{}, usagef("--from is required")
	}
	f, err := report.ParseDate(from, a.cfg.Loc)
	if err != nil {
		return f, f, usagef("--from: %v", err)
	}
	t := f
	if to != "" {
		if t, err = report.ParseDate(to, a.cfg.Loc); err != nil {
			return f, t, usagef("--to: %v", err)
		}
	}
	if t.Before(f) {
		return f, t, usagef("--from %s is after --to %s", from, to)
	}
	return f, t, nil
}

// periodArgs are the --from, --to and --period flags of the commands that
// work on archive periods (report, deliver, resend).
type periodArgs struct{ from, to, period string }

func (p *periodArgs) bind(fs *flag.FlagSet, fromUsage string) {
	fs.StringVar(&p.from, "from", "", fromUsage)
	fs.StringVar(&p.to, "to", "", "last day `DATE` (default: --from)")
	fs.StringVar(&p.period, "period", "day", "day or month")
}

// set reports whether a date was given.
func (p *periodArgs) set() bool { return p.from != "" || p.to != "" }

// periods returns the periods the flags name.
func (p *periodArgs) periods(a *app) ([]report.Period, error) {
	f, t, err := dateRange(a, p.from, p.to)
	if err != nil {
		return nil, err
	}
	ps, err := report.Periods(p.period, f, t, a.cfg.Loc)
	if err != nil {
		return nil, usagef("%v", err)
	}
	return ps, nil
}
