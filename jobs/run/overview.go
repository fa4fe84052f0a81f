package run

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ispacct/ispacct/config"
)

// JobStatus is what `ispacct status` shows of a job.
type JobStatus struct {
	Job         Job       `json:"job"`
	LastSuccess *Run      `json:"last_success,omitempty"`
	NextRun     time.Time `json:"next_run"`    // the next tick, if a daemon (or a timer) runs at the configured times
	NextPeriod  string    `json:"next_period"` // the period it is for
	Backlog     []Item    `json:"backlog"`     // due and not finished: the next tick runs these first
	Missed      []string  `json:"missed"`      // fell out of the look-back unfinished: never run by the daemon
	Runs        []Run     `json:"runs"`        // newest first
}

// Overview is each job's recent runs, its backlog and its next tick.
func Overview(ctx context.Context, pool *pgxpool.Pool, cfg *config.Config, now time.Time, limit int) ([]JobStatus, error) {
	backlog, err := Backlog(ctx, pool, cfg, now)
	if err != nil {
		return nil, err
	}
	var out []JobStatus
	for _, job := range Jobs {
		js := JobStatus{Job: job, Backlog: []Item{}}
		next, p := Next(cfg, job, now)
		js.NextRun, js.NextPeriod = next, p.Name()
		if js.LastSuccess, err = LastSuccess(ctx, pool, job); err != nil {
			return nil, err
		}
		if js.Runs, err = Runs(ctx, pool, job, limit); err != nil {
			return nil, err
		}
		if js.Runs == nil {
			js.Runs = []Run{}
		}
		missed, err := Missed(ctx, pool, cfg, job, now)
		if err != nil {
			return nil, err
		}
		js.Missed = []string{}
		for _, p := range missed {
			js.Missed = append(js.Missed, p.Name())
		}
		for _, it := range backlog {
			if it.Job == job {
				js.Backlog = append(js.Backlog, it)
			}
		}
		out = append(out, js)
	}
	return out, nil
}
