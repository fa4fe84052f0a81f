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
