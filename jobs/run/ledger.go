package run

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ispacct/ispacct/jobs/ingest"
)

// Run is one row of the ledger: an attempt of a chain for a period.
type Run struct {
	ID         int64       `json:"id"` // 0: not (yet) in the ledger
	Job        Job         `json:"job"`
	Period     string      `json:"period"` // 2026-11-21 or 2026-11
	Status     Status      `json:"status"`
	Step       string      `json:"step,omitempty"` // under way, or where it failed
	Forced     bool        `json:"forced,omitempty"`
	By         string      `json:"started_by"`
	StartedAt  time.Time   `json:"started_at"`
	FinishedAt *time.Time  `json:"finished_at,omitempty"`
	Seconds    float64     `json:"seconds"`
	Rows       int64       `json:"rows"`
	Rejects    int64       `json:"rejects"`
	Deliveries int         `json:"deliveries"`
	Error      string      `json:"error,omitempty"` // failed: why; partial: what was left out
	Host       string      `json:"host"`
	PID        int         `json:"pid"`
	Sources    []SourceRun `json:"sources,omitempty"`
}

// SourceRun is what the ingest step did for one source.
type SourceRun struct {
	Source     string `json:"source"`
	Files      int    `json:"files"`
	Lines      int64  `json:"lines"`
	Rows       int64  `json:"rows"`
	Rejects    int64  `json:"rejects"`
	FileErrors int    `json:"file_errors"`
}

const runColumns = `id, job, period, status, coalesce(step, ''), forced, started_by, started_at, finished_at,
	coalesce(extract(epoch FROM duration)::float8, 0), rows, rejects, deliveries, coalesce(error, ''), host, pid`

func scanRun(row pgx.Row) (Run, error) {
	var r Run
	err := row.Scan(&r.ID, &r.Job, &r.Period, &r.Status, &r.Step, &r.Forced, &r.By, &r.StartedAt, &r.FinishedAt,
		&r.Seconds, &r.Rows, &r.Rejects, &r.Deliveries, &r.Error, &r.Host, &r.PID)
	return r, err
}

// staleRunning is the error of a run found "running" by the next one: the
// chain lock is held by whoever looks, so its process has gone.
const staleRunning = "interrupted: the process ended before the run finished"

// begin opens a run in the ledger, under the chain lock. Rows left
// "running" by a process that died are marked failed first. Unless r is
// forced, a period that finished ok is not run again: begin returns that
// run instead.
func begin(ctx context.Context, pool *pgxpool.Pool, r *Run) (int64, *Run, error) {
	var id int64
	var before *Run
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE runs SET status = 'failed', finished_at = now(),
			error = coalesce(error || '; ', '') || $1 WHERE status = 'running'`, staleRunning); err != nil {
			return fmt.Errorf("mark interrupted runs: %w", err)
		}
		if !r.Forced {
			prev, err := scanRun(tx.QueryRow(ctx, `SELECT `+runColumns+` FROM runs
				WHERE job = $1 AND period = $2 AND status = 'ok' ORDER BY id DESC LIMIT 1`, r.Job, r.Period))
			if err == nil {
				before = &prev
				return nil
			}
			if !errors.Is(err, pgx.ErrNoRows) {
				return fmt.Errorf("look for an earlier run: %w", err)
			}
		}
		return tx.QueryRow(ctx, `INSERT INTO runs (job, period, status, step, forced, started_by, started_at, host, pid)
			VALUES ($1, $2, 'running', $3, $4, $5, $6, $7, $8) RETURNING id`,
			r.Job, r.Period, StepStart, r.Forced, r.By, r.StartedAt, r.Host, r.PID).Scan(&id)
	})
	if err != nil {
		return 0, nil, fmt.Errorf("ledger: %w", err)
	}
	return id, before, nil
}

// setStep records the step under way, for `ispacct status`.
func setStep(ctx context.Context, pool *pgxpool.Pool, id int64, step string) error {
	_, err := pool.Exec(ctx, `UPDATE runs SET step = $2 WHERE id = $1 AND status = 'running'`, id, step)
	return err
}

// Record writes a finished run into the ledger: it closes the row begin
// opened, or, for a run that could not open one (the database was down),
// adds it whole. It sets r.Recorded.
func Record(ctx context.Context, pool *pgxpool.Pool, r *Result) error {
	if pool == nil {
		return errors.New("ledger: no database")
	}
	step := r.Step
	if r.Status != StatusFailed {
		step = ""
	}
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if r.ID == 0 {
			err := tx.QueryRow(ctx, `INSERT INTO runs (job, period, status, step, forced, started_by, started_at,
				finished_at, rows, rejects, deliveries, error, host, pid)
				VALUES ($1, $2, $3, nullif($4, ''), $5, $6, $7, $8, $9, $10, $11, nullif($12, ''), $13, $14) RETURNING id`,
				r.Job, r.Period, r.Status, step, r.Forced, r.By, r.StartedAt, r.FinishedAt,
				r.Rows, r.Rejects, r.Deliveries, r.Error, r.Host, r.PID).Scan(&r.ID)
			if err != nil {
				return err
			}
		} else {
			// Rows and rejects were counted into the row batch by batch as
			// they committed (tally): the ledger's figures are the ones
			// that hold, and the result takes them.
			err := tx.QueryRow(ctx, `UPDATE runs SET status = $2, step = nullif($3, ''), finished_at = $4,
				deliveries = $5, error = nullif($6, '') WHERE id = $1 RETURNING rows, rejects`,
				r.ID, r.Status, step, r.FinishedAt, r.Deliveries, r.Error).Scan(&r.Rows, &r.Rejects)
			if err != nil {
				return err
			}
		}
		for i, s := range r.Sources {
			err := tx.QueryRow(ctx, `INSERT INTO run_sources (run_id, source, files, lines, rows, rejects, file_errors)
				VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (run_id, source) DO UPDATE SET files = excluded.files,
				file_errors = excluded.file_errors RETURNING lines, rows, rejects`,
				r.ID, s.Source, s.Files, s.Lines, s.Rows, s.Rejects, s.FileErrors).Scan(&r.Sources[i].Lines, &r.Sources[i].Rows, &r.Sources[i].Rejects)
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("ledger: record run %s %s: %w", r.Job, r.Period, err)
	}
	r.Recorded = true
	return nil
}

// tally counts an ingest batch into run id's row and its source's row, in
// the batch's own transaction: a run killed half way is left in the
// ledger with exactly the rows it committed.
func tally(id int64) func(context.Context, pgx.Tx, ingest.Tally) error {
	return func(ctx context.Context, tx pgx.Tx, t ingest.Tally) error {
		if _, err := tx.Exec(ctx, `UPDATE runs SET rows = rows + $2, rejects = rejects + $3 WHERE id = $1`, id, t.Rows, t.Rejects); err != nil {
			return fmt.Errorf("run ledger: %w", err)
		}
		_, err := tx.Exec(ctx, `INSERT INTO run_sources (run_id, source, files, lines, rows, rejects, file_errors)
			VALUES ($1, $2, 0, $3, $4, $5, 0) ON CONFLICT (run_id, source) DO UPDATE SET lines = run_sources.lines + excluded.lines,
			rows = run_sources.rows + excluded.rows, rejects = run_sources.rejects + excluded.rejects`,
			id, t.Source, t.Lines, t.Rows, t.Rejects)
		if err != nil {
			return fmt.Errorf("run ledger: %w", err)
		}
		return nil
	}
}

// Runs lists the last limit runs of job, newest first, with their sources.
func Runs(ctx context.Context, pool *pgxpool.Pool, job Job, limit int) ([]Run, error) {
	rows, err := pool.Query(ctx, `SELECT `+runColumns+` FROM runs WHERE job = $1 ORDER BY id DESC LIMIT $2`, job, limit)
	if err != nil {
		return nil, fmt.Errorf("ledger: list runs: %w", err)
	}
	runs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Run, error) { return scanRun(r) })
	if err != nil {
		return nil, fmt.Errorf("ledger: list runs: %w", err)
	}
	if err := addSources(ctx, pool, runs); err != nil {
		return nil, err
	}
	return runs, nil
}

// LastSuccess is job's latest run that finished (ok or partly), or nil.
func LastSuccess(ctx context.Context, pool *pgxpool.Pool, job Job) (*Run, error) {
	r, err := scanRun(pool.QueryRow(ctx, `SELECT `+runColumns+` FROM runs
		WHERE job = $1 AND status IN ('ok', 'partial') ORDER BY finished_at DESC LIMIT 1`, job))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ledger: last success of %s: %w", job, err)
	}
	return &r, nil
}

func addSources(ctx context.Context, pool *pgxpool.Pool, runs []Run) error {
	if len(runs) == 0 {
		return nil
	}
	ids := make([]int64, len(runs))
	at := map[int64]int{}
	for i, r := range runs {
		ids[i] = r.ID
		at[r.ID] = i
	}
	rows, err := pool.Query(ctx, `SELECT run_id, source, files, lines, rows, rejects, file_errors
		FROM run_sources WHERE run_id = ANY ($1) ORDER BY run_id, source`, ids)
	if err != nil {
		return fmt.Errorf("ledger: list sources: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var s SourceRun
		if err := rows.Scan(&id, &s.Source, &s.Files, &s.Lines, &s.Rows, &s.Rejects, &s.FileErrors); err != nil {
			return fmt.Errorf("ledger: list sources: %w", err)
		}
		runs[at[id]].Sources = append(runs[at[id]].Sources, s)
	}
	return rows.Err()
}

// ledgerState is what the ledger knows of job for the backlog: its first
// period ever, and which periods from `from` on have finished.
func ledgerState(ctx context.Context, pool *pgxpool.Pool, job Job, from string) (first string, finished map[string]bool, err error) {
	finished = map[string]bool{}
	err = pool.QueryRow(ctx, `SELECT coalesce(min(period), '') FROM runs WHERE job = $1`, job).Scan(&first)
	if err != nil {
		return "", nil, fmt.Errorf("ledger: first period of %s: %w", job, err)
	}
	rows, err := pool.Query(ctx, `SELECT DISTINCT period FROM runs
		WHERE job = $1 AND period >= $2 AND status IN ('ok', 'partial')`, job, from)
	if err != nil {
		return "", nil, fmt.Errorf("ledger: finished periods of %s: %w", job, err)
	}
	periods, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return "", nil, fmt.Errorf("ledger: finished periods of %s: %w", job, err)
	}
	for _, p := range periods {
		finished[p] = true
	}
	return first, finished, nil
}
