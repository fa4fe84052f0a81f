package config

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"
)

// Schedule says when `ispacct daemon` runs the chains, in the configured
// time zone: the daily chain for yesterday at Daily, the monthly chain for
// last month on the 1st at Monthly. Periods missed while the box was down
// are run when it is up again, up to LookbackDays back.
type Schedule struct {
	Daily   string `toml:"daily"`   // "01:30": 24-hour local time
	Monthly string `toml:"monthly"` // "03:00" on the 1st
	// LookbackDays bounds the catch-up: periods due longer ago than this
	// are left to `ispacct run --date`. The latest due period is always run.
	LookbackDays int `toml:"lookback_days"`
	// Grace bounds a stop (SIGTERM): the running step may go on until
	// shortly before it ends (a fifth of it, at most 10 s, is kept for
	// rolling back and recording), then it is cancelled.
	Grace time.Duration `toml:"grace"`
	// MetricsFile, when set, is rewritten after every run in Prometheus'
	// text format for node_exporter's textfile collector.
	MetricsFile string `toml:"metrics_file"`

	// DailyAt and MonthlyAt are Daily and Monthly, parsed.
	DailyAt   TimeOfDay `toml:"-" json:"-"`
	MonthlyAt TimeOfDay `toml:"-" json:"-"`
}

// TimeOfDay is a local wall-clock time.
type TimeOfDay struct{ Hour, Minute int }

func (t TimeOfDay) String() string { return fmt.Sprintf("%02d:%02d", t.Hour, t.Minute) }

// On is t on the given local day (a time that a DST change skips moves
// forward, as time.Date does).
func (t TimeOfDay) On(year int, month time.Month, day int, loc *time.Location) time.Time {
	return time.Date(year, month, day, t.Hour, t.Minute, 0, 0, loc)
}

func defaultSchedule() Schedule {
	return Schedule{Daily: "01:30", Monthly: "03:00", LookbackDays: 7, Grace: 5 * time.Minute}
}

// ParseTimeOfDay reads "HH:MM" (24-hour).
func ParseTimeOfDay(s string) (TimeOfDay, error) {
	t, err := time.Parse("15:04", s)
	if err != nil || len(s) != 5 {
		return TimeOfDay{}, fmt.Errorf("want a 24-hour time like \"01:30\"")
	}
	return TimeOfDay{t.Hour(), t.Minute()}, nil
}

func (c *Config) validateSchedule() error {
	s := &c.Schedule
	var err error
	if s.DailyAt, err = ParseTimeOfDay(s.Daily); err != nil {
		return c.fail("schedule.daily", s.Daily, err.Error())
	}
	if s.MonthlyAt, err = ParseTimeOfDay(s.Monthly); err != nil {
		return c.fail("schedule.monthly", s.Monthly, err.Error())
	}
	if s.LookbackDays < 1 || s.LookbackDays > 400 {
		return c.fail("schedule.lookback_days", fmt.Sprint(s.LookbackDays), "must be between 1 and 400")
	}
	if s.Grace < 0 {
		return c.fail("schedule.grace", s.Grace.String(), "must not be negative (\"0s\": stop at once)")
	}
	if s.MetricsFile != "" {
		if c.File != "" {
			s.MetricsFile = resolve(filepath.Dir(c.File), s.MetricsFile)
		}
		// node_exporter's textfile collector reads *.prom files only.
		if !strings.HasSuffix(s.MetricsFile, ".prom") {
			return c.fail("schedule.metrics_file", s.MetricsFile, "must end in .prom, the only files node_exporter's textfile collector reads")
		}
		if s.MetricsFile, err = filepath.Abs(s.MetricsFile); err != nil {
			return c.fail("schedule.metrics_file", s.MetricsFile, err.Error())
		}
	}
	return nil
}
