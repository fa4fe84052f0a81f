package main

import (
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

// periodFlags reads --from, --to and --period into the periods they name.
func periodFlags(a *app, from, to, period string) ([]report.Period, error) {
	f, t, err := dateRange(a, from, to)
	if err != nil {
		return nil, err
	}
	ps, err := report.Periods(period, f, t, a.cfg.Loc)
	if err != nil {
		return nil, usagef("%v", err)
	}
	return ps, nil
}
