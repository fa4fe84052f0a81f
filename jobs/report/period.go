package report

import (
	"fmt"
	"time"
)

// Period is a day or a month of local calendar time.
type Period struct {
	Kind  string    // "day" or "month"
	Start time.Time // local midnight
	End   time.Time // local midnight after the last day
}

// Name is the period as it appears in file names: 2026-11-21 or 2026-11.
func (p Period) Name() string {
	if p.Kind == "month" {
		return p.Start.Format("2006-01")
	}
	return p.Start.Format("2006-01-02")
}

// Day is the local day holding t.
func Day(t time.Time, loc *time.Location) Period {
	t = t.In(loc)
	start := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
	return Period{Kind: "day", Start: start, End: time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, loc)}
}

// Month is the local month holding t.
func Month(t time.Time, loc *time.Location) Period {
	t = t.In(loc)
	start := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, loc)
	return Period{Kind: "month", Start: start, End: time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, loc)}
}

// Periods lists the periods of a kind from the one holding from to the
// one holding to, both included.
func Periods(kind string, from, to time.Time, loc *time.Location) ([]Period, error) {
	next := Day
	switch kind {
	case "day":
	case "month":
		next = Month
	default:
		return nil, fmt.Errorf("period %q: must be day or month", kind)
	}
	if to.Before(from) {
		return nil, fmt.Errorf("--from %s is after --to %s", from.Format("2006-01-02"), to.Format("2006-01-02"))
	}
	var ps []Period
	for p := next(from, loc); !p.Start.After(to); p = next(p.End, loc) {
		ps = append(ps, p)
	}
	return ps, nil
}

// ParseDate reads a YYYY-MM-DD date as local midnight in loc.
func ParseDate(s string, loc *time.Location) (time.Time, error) {
	t, err := time.ParseInLocation("2006-01-02", s, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("date %q: want YYYY-MM-DD, a real calendar date", s)
	}
	return t, nil
}

// NotBegun returns the first of ps that has not begun at now: a range
// reaching into the future is refused whole, by every road (command, web
// page), rather than written as empty archives.
func NotBegun(ps []Period, now time.Time) (Period, bool) {
	for _, p := range ps {
		if p.Start.After(now) {
			return p, true
		}
	}
	return Period{}, false
}
