package run

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ispacct/ispacct/atomicfile"
	"github.com/ispacct/ispacct/config"
)

// WriteMetrics writes the ledger's view of each job to path in
// Prometheus' text format, for node_exporter's textfile collector: written
// to a temporary file in the same folder and renamed, so the collector
// never reads half a file. The figures come from the ledger, not from
// this process, so they are right after a restart and for runs started
// by cron or a systemd timer.
func WriteMetrics(ctx context.Context, pool *pgxpool.Pool, cfg *config.Config, now time.Time, path string) error {
	var b strings.Builder
	if err := Metrics(ctx, pool, cfg, now, &b); err != nil {
		return err
	}
	return atomicfile.Write(path, atomicfile.Public, func(w io.Writer) error {
		_, err := io.WriteString(w, b.String())
		return err
	})
}

type metric struct {
	name, help string
	samples    []string
}

func (m *metric) add(labels string, v float64) {
	m.samples = append(m.samples, fmt.Sprintf("%s{%s} %s", m.name, labels, strconv.FormatFloat(v, 'f', -1, 64)))
}

// Metrics writes the metrics text to w.
func Metrics(ctx context.Context, pool *pgxpool.Pool, cfg *config.Config, now time.Time, w io.Writer) error {
	ms := []*metric{
		{name: "ispacct_run_last_success_timestamp_seconds", help: "When the job last finished a period (ok or partly done), as a Unix time."},
		{name: "ispacct_run_last_status", help: "Outcome of the job's last finished run: 1 for its status, 0 for the others."},
		{name: "ispacct_run_last_timestamp_seconds", help: "When the job's last finished run ended, as a Unix time."},
		{name: "ispacct_run_duration_seconds", help: "How long the job's last finished run took."},
		{name: "ispacct_run_rows", help: "Rows the job's last finished run loaded."},
		{name: "ispacct_run_rejects", help: "Log lines the job's last finished run rejected."},
		{name: "ispacct_run_deliveries", help: "Messages of the period the job's last finished run delivered."},
		{name: "ispacct_run_backlog_periods", help: "Due periods of the job that have not finished."},
		{name: "ispacct_run_missed_periods", help: "Periods of the job beyond the look-back that never finished: the daemon will not run them."},
		{name: "ispacct_ingest_rows", help: "Rows the job's last finished run loaded, per source."},
		{name: "ispacct_ingest_rejects", help: "Log lines the job's last finished run rejected, per source."},
		{name: "ispacct_ingest_file_errors", help: "Files the job's last finished run could not read, per source."},
	}
	by := map[string]*metric{}
	for _, m := range ms {
		by[strings.TrimPrefix(m.name, "ispacct_")] = m
	}
	backlog, err := Backlog(ctx, pool, cfg, now)
	if err != nil {
		return err
	}
	for _, job := range Jobs {
		l := fmt.Sprintf("job=%q", job)
		n := 0
		for _, it := range backlog {
			if it.Job == job {
				n++
			}
		}
		by["run_backlog_periods"].add(l, float64(n))
		missed, err := Missed(ctx, pool, cfg, job, now)
		if err != nil {
			return err
		}
		by["run_missed_periods"].add(l, float64(len(missed)))
		ok, err := LastSuccess(ctx, pool, job)
		if err != nil {
			return err
		}
		if ok != nil && ok.FinishedAt != nil {
			by["run_last_success_timestamp_seconds"].add(l, float64(ok.FinishedAt.Unix()))
		}
		last, err := lastFinished(ctx, pool, job)
		if err != nil {
			return err
		}
		if last == nil {
			continue
		}
		for _, s := range []Status{StatusOK, StatusPartial, StatusFailed} {
			v := 0.0
			if last.Status == s {
				v = 1
			}
			by["run_last_status"].add(fmt.Sprintf("%s,status=%q", l, s), v)
		}
		by["run_last_timestamp_seconds"].add(l, float64(last.FinishedAt.Unix()))
		by["run_duration_seconds"].add(l, round(last.Seconds))
		by["run_rows"].add(l, float64(last.Rows))
		by["run_rejects"].add(l, float64(last.Rejects))
		by["run_deliveries"].add(l, float64(last.Deliveries))
		for _, s := range last.Sources {
			sl := fmt.Sprintf("%s,source=%q", l, s.Source)
			by["ingest_rows"].add(sl, float64(s.Rows))
			by["ingest_rejects"].add(sl, float64(s.Rejects))
			by["ingest_file_errors"].add(sl, float64(s.FileErrors))
		}
	}
	for _, m := range ms {
		if len(m.samples) == 0 {
			continue
		}
		if _, err := fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s gauge\n%s\n", m.name, m.help, m.name, strings.Join(m.samples, "\n")); err != nil {
			return err
		}
	}
	return nil
}

// lastFinished is job's newest run that is not under way, with its
// sources, or nil.
func lastFinished(ctx context.Context, pool *pgxpool.Pool, job Job) (*Run, error) {
	r, err := scanRun(pool.QueryRow(ctx, `SELECT `+runColumns+` FROM runs
		WHERE job = $1 AND status <> 'running' AND finished_at IS NOT NULL ORDER BY finished_at DESC LIMIT 1`, job))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ledger: last run of %s: %w", job, err)
	}
	runs := []Run{r}
	if err := addSources(ctx, pool, runs); err != nil {
		return nil, err
	}
	return &runs[0], nil
}
