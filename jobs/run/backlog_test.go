package run_test

import (
	"testing"
	"time"

	"github.com/ispacct/ispacct/config"
	"github.com/ispacct/ispacct/jobs/run"
	"github.com/ispacct/ispacct/schema/pgtest"
)

func berlin(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, pgtest.Berlin)
}

func schedule(daily, monthly string, lookback int) *config.Config {
	c := config.Default()
	c.Loc = pgtest.Berlin
	c.Schedule.Daily, c.Schedule.Monthly, c.Schedule.LookbackDays = daily, monthly, lookback
	c.Schedule.DailyAt, _ = config.ParseTimeOfDay(daily)
	c.Schedule.MonthlyAt, _ = config.ParseTimeOfDay(monthly)
	return c
}

// TestSlots: a day is due the next day at the daily time, a month on the
// 1st at the monthly time, in local time across DST changes; the latest
// due period switches exactly at its slot.
func TestSlots(t *testing.T) {
	cfg := schedule("01:30", "03:00", 7)
	tests := []struct {
		job          run.Job
		now          time.Time
		latest, next string
		nextAt       time.Time
	}{
		{run.JobDaily, berlin(2026, 11, 22, 1, 29), "2026-11-20", "2026-11-21", berlin(2026, 11, 22, 1, 30)},
		{run.JobDaily, berlin(2026, 11, 22, 1, 30), "2026-11-21", "2026-11-22", berlin(2026, 11, 23, 1, 30)},
		// 2026-10-25 has 25 hours in Berlin, 2026-03-29 23.
		{run.JobDaily, berlin(2026, 10, 25, 12, 0), "2026-10-24", "2026-10-25", berlin(2026, 10, 26, 1, 30)},
		{run.JobDaily, berlin(2026, 3, 29, 1, 0), "2026-03-27", "2026-03-28", berlin(2026, 3, 29, 1, 30)},
		{run.JobDaily, berlin(2027, 1, 1, 0, 10), "2026-12-30", "2026-12-31", berlin(2027, 1, 1, 1, 30)},
		{run.JobMonthly, berlin(2026, 11, 1, 2, 59), "2026-09", "2026-10", berlin(2026, 11, 1, 3, 0)},
		{run.JobMonthly, berlin(2026, 11, 1, 3, 0), "2026-10", "2026-11", berlin(2026, 12, 1, 3, 0)},
		{run.JobMonthly, berlin(2027, 1, 15, 0, 0), "2026-12", "2027-01", berlin(2027, 2, 1, 3, 0)},
	}
	for _, tt := range tests {
		if got := run.LatestDue(cfg, tt.job, tt.now).Name(); got != tt.latest {
			t.Errorf("LatestDue(%s, %s) = %s, want %s", tt.job, tt.now, got, tt.latest)
		}
		at, p := run.Next(cfg, tt.job, tt.now)
		if p.Name() != tt.next || !at.Equal(tt.nextAt) {
			t.Errorf("Next(%s, %s) = %s at %s, want %s at %s", tt.job, tt.now, p.Name(), at, tt.next, tt.nextAt)
		}
	}
	// A daily time in the hour the spring change skips moves past it, as
	// gocron's daily job does: 02:30 on 2026-03-29 is 03:30 CEST.
	gap := schedule("02:30", "03:00", 7)
	at, p := run.Next(gap, run.JobDaily, berlin(2026, 3, 29, 0, 0))
	if p.Name() != "2026-03-28" || at.Format("15:04 -07:00") != "03:30 +02:00" {
		t.Errorf("slot in the DST gap: %s at %s", p.Name(), at)
	}
}

// TestDue: the look-back bounds the catch-up, but the latest due period
// is always in it.
func TestDue(t *testing.T) {
	cfg := schedule("01:30", "03:00", 3)
	names := func(job run.Job, now time.Time) []string {
		var out []string
		for _, p := range run.Due(cfg, job, now) {
			out = append(out, p.Name())
		}
		return out
	}
	got := names(run.JobDaily, berlin(2026, 11, 22, 12, 0))
	if len(got) != 3 || got[0] != "2026-11-19" || got[2] != "2026-11-21" {
		t.Errorf("daily due = %v, want 2026-11-19..21", got)
	}
	got = names(run.JobMonthly, berlin(2026, 11, 22, 12, 0))
	if len(got) != 1 || got[0] != "2026-10" {
		t.Errorf("monthly due = %v, want [2026-10] (slot older than the look-back, but the latest)", got)
	}
	got = names(run.JobMonthly, berlin(2026, 11, 2, 12, 0))
	if len(got) != 1 || got[0] != "2026-10" {
		t.Errorf("monthly due = %v, want [2026-10]", got)
	}
}
