package run

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ispacct/ispacct/config"
	"github.com/ispacct/ispacct/jobs/report"
)

// Item is a period the daemon is to run.
type Item struct {
	Job    Job           `json:"job"`
	Period report.Period `json:"-"`
	Name   string        `json:"period"`
	Slot   time.Time     `json:"due_since"` // when it became due
}

// PeriodOf is the period of job that holds t: its day or its month.
func PeriodOf(job Job, t time.Time, loc *time.Location) report.Period {
	if job == JobMonthly {
		return report.Month(t, loc)
	}
	return report.Day(t, loc)
}

// previous is the period before p.
func previous(job Job, p report.Period, loc *time.Location) report.Period {
	if job == JobMonthly {
		return report.Month(p.Start.AddDate(0, -1, 0), loc)
	}
	return report.Day(p.Start.AddDate(0, 0, -1), loc)
}

// Slot is when period p of job becomes due: the day after it at the daily
// time, or the 1st of the next month at the monthly time, in local time.
// It is computed as gocron computes the daily and monthly jobs (time.Date
// in the zone), so a tick always finds its period due, DST days included.
func Slot(cfg *config.Config, job Job, p report.Period) time.Time {
	at := cfg.Schedule.DailyAt
	if job == JobMonthly {
		at = cfg.Schedule.MonthlyAt
	}
	return at.On(p.End.Year(), p.End.Month(), p.End.Day(), cfg.Loc)
}

// LatestDue is the newest period of job whose slot is not after now: the
// one its last tick was for.
func LatestDue(cfg *config.Config, job Job, now time.Time) report.Period {
	p := previous(job, PeriodOf(job, now, cfg.Loc), cfg.Loc)
	for Slot(cfg, job, p).After(now) {
		p = previous(job, p, cfg.Loc)
	}
	return p
}

// Next is the next tick of job after now and the period it is for.
func Next(cfg *config.Config, job Job, now time.Time) (time.Time, report.Period) {
	p := PeriodOf(job, LatestDue(cfg, job, now).End, cfg.Loc)
	return Slot(cfg, job, p), p
}

// Due lists job's periods that are due and within the look-back
// (schedule.lookback_days before now), oldest first. The latest due
// period is always in it, however long ago its slot was.
func Due(cfg *config.Config, job Job, now time.Time) []report.Period {
	horizon := now.AddDate(0, 0, -cfg.Schedule.LookbackDays)
	latest := LatestDue(cfg, job, now)
	ps := []report.Period{latest}
	for p := previous(job, latest, cfg.Loc); !Slot(cfg, job, p).Before(horizon); p = previous(job, p, cfg.Loc) {
		ps = append(ps, p)
	}
	for i, j := 0, len(ps)-1; i < j; i, j = i+1, j-1 {
		ps[i], ps[j] = ps[j], ps[i]
	}
	return ps
}

// Backlog is what the daemon runs at a tick: every due period in the
// look-back that has not finished (ok or partly), in the order the
// periods became due. A job the ledger has never seen starts with its
// latest due period: what came before the scheduler was installed is not
// a backlog (`ispacct run --date` and `ispacct backfill` are for history),
// and neither is anything before the job's first run.
func Backlog(ctx context.Context, pool *pgxpool.Pool, cfg *config.Config, now time.Time) ([]Item, error) {
	var items []Item
	for _, job := range Jobs {
		due := Due(cfg, job, now)
		first, finished, err := ledgerState(ctx, pool, job, due[0].Name())
		if err != nil {
			return nil, err
		}
		if first == "" {
			due = due[len(due)-1:]
		}
		for _, p := range due {
			if finished[p.Name()] || p.Name() < first {
				continue
			}
			items = append(items, Item{Job: job, Period: p, Name: p.Name(), Slot: Slot(cfg, job, p)})
		}
	}
	sort.SliceStable(items, func(i, j int) bool { return items[i].Slot.Before(items[j].Slot) })
	return items, nil
}

// Missed lists job's periods that fell out of the look-back unfinished:
// holes in the ledger between its first finished period and the
// look-back, oldest first, looking at most 366 periods back. The daemon
// never runs them (a box that was off for longer than
// schedule.lookback_days), so they are shown to be run by hand.
func Missed(ctx context.Context, pool *pgxpool.Pool, cfg *config.Config, job Job, now time.Time) ([]report.Period, error) {
	oldest := Due(cfg, job, now)[0]
	rows, err := pool.Query(ctx, `SELECT DISTINCT period FROM runs
		WHERE job = $1 AND period < $2 AND status IN ('ok', 'partial')`, job, oldest.Name())
	if err != nil {
		return nil, fmt.Errorf("ledger: finished periods of %s: %w", job, err)
	}
	periods, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("ledger: finished periods of %s: %w", job, err)
	}
	if len(periods) == 0 {
		return nil, nil
	}
	finished := map[string]bool{}
	first := periods[0]
	for _, p := range periods {
		finished[p] = true
		first = min(first, p)
	}
	var missed []report.Period
	p := previous(job, oldest, cfg.Loc)
	for range 366 {
		if p.Name() <= first {
			break
		}
		if !finished[p.Name()] {
			missed = append(missed, p)
		}
		p = previous(job, p, cfg.Loc)
	}
	slices.Reverse(missed)
	return missed, nil
}
