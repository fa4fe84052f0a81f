// Package report builds the archive of a period: the .asc files of every
// table and, in one zip, acct-<period>.zip. It only reads the database,
// unless asked to roll up the day it reads (Options.Rollup).
package report

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/sync/errgroup"

	"github.com/ispacct/ispacct/archive"
	"github.com/ispacct/ispacct/atomicfile"
	"github.com/ispacct/ispacct/config"
	"github.com/ispacct/ispacct/jobs/rollup"
)

// Options tune a build.
type Options struct {
	Loc    *time.Location
	OutDir string
	// RawSheets puts the raw rows into the workbook too, not only the
	// .asc files.
	RawSheets bool
	// NoMonthlyRaw leaves the raw .asc files out of monthly archives (a
	// busy month is large); the workbook is always in.
	NoMonthlyRaw bool
	TmpDir       string // for the workbook's spooled parts; "" is the system's
	// Perm is who may read the archive; the zero Perm is the owner alone.
	Perm atomicfile.Perm
	Log  *slog.Logger
	// Rollup, when set, lets a daily archive roll up its day's proxy, web
	// and mail rows as it reads them, where ingest left the day dirty: the
	// daily chain's rollup step leaves those to it, and the day is read
	// once instead of twice. The aggregates are Day's, and so are the
	// archive's bytes.
	Rollup *rollup.Options
}

// FromConfig fills Options from the configuration; out overrides
// report.out_dir when not empty.
func FromConfig(c *config.Config, out string, log *slog.Logger) Options {
	if out == "" {
		out = c.Report.OutDir
	}
	return Options{Loc: c.Loc, OutDir: out, RawSheets: c.Report.RawSheets, NoMonthlyRaw: !c.Report.MonthlyRawASC,
		TmpDir: filepath.Join(c.StateDir, "tmp"), Perm: atomicfile.Private(c.Report.GID), Log: log}
}

// Result describes one archive.
type Result struct {
	Period string           `json:"period"`
	Path   string           `json:"path"`
	SHA256 string           `json:"sha256"`
	Bytes  int64            `json:"bytes"`
	Rows   map[string]int64 `json:"rows"` // rows per .asc file
	// Empty: no table holds a row of the period, most likely the wrong
	// period or one whose logs were never ingested.
	Empty bool `json:"empty"`
	// RolledUp are the days whose aggregates the build recomputed (see
	// Options.Rollup).
	RolledUp []rollup.DayTable `json:"-"`
}

// hasRows reports whether any table holds a row of the period: an archive
// of a period without one is most likely the wrong period, or one whose
// logs were never ingested.
func hasRows(ctx context.Context, pool *pgxpool.Pool, p Period) (bool, error) {
	var any bool
	err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM proxy WHERE zeit >= $1 AND zeit < $2)
		OR EXISTS (SELECT 1 FROM http WHERE zeit >= $1 AND zeit < $2)
		OR EXISTS (SELECT 1 FROM mta WHERE zeit >= $1 AND zeit < $2)`, p.Start, p.End).Scan(&any)
	if err != nil {
		return false, fmt.Errorf("rows of %s: %w", p.Name(), err)
	}
	return any, nil
}

// FileName is the archive's name for a period.
func FileName(p Period) string { return "acct-" + p.Name() + ".zip" }

// WorkbookName is the name of the period's workbook inside the archive.
func WorkbookName(p Period) string { return "acct-" + p.Name() + ".xlsx" }

// Build writes the archive of period p into opt.OutDir, atomically.
func Build(ctx context.Context, pool *pgxpool.Pool, p Period, opt Options) (*Result, error) {
	res := &Result{Period: p.Name(), Path: filepath.Join(opt.OutDir, FileName(p)), Rows: map[string]int64{}}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("report %s: %w", p.Name(), err)
	}
	defer conn.Release()
	dirty, err := rollup.DirtyIn(ctx, conn, p.Start, p.End)
	if err != nil {
		return nil, fmt.Errorf("report %s: %w", p.Name(), err)
	}
	var stale []string
	fuse := map[string]bool{} // tables whose day this build rolls up
	for _, d := range dirty {
		if opt.Rollup != nil && p.Kind == "day" {
			fuse[d.Table] = true
			continue
		}
		stale = append(stale, d.Table+" "+d.Day)
	}
	if len(stale) > 0 {
		opt.Log.Warn("aggregates not up to date: run 'ispacct rollup' first; the workbook's summaries leave out rows ingested since", "period", p.Name(), "days", strings.Join(stale, ", "))
	}
	tmp, remove, err := spoolDir(opt)
	if err != nil {
		return nil, fmt.Errorf("report %s: %w", p.Name(), err)
	}
	defer remove()
	wb, err := archive.NewWorkbook("ispacct "+p.Name(), p.Start, opt.Loc, tmp)
	if err != nil {
		return nil, fmt.Errorf("report %s: %w", p.Name(), err)
	}
	// The workbook's summary sheets are built beside the raw rows, on a
	// connection of their own: both cores work, and the archive's bytes
	// are those of a build one after the other (the raw sheets take their
	// place after the summaries whenever they are written). A failure of
	// either stops the other. Without a connection to spare (a small pool,
	// all held by locks) they are built after, on the same connection.
	ctx, cancel := context.WithCancel(ctx)
	g, ctx := errgroup.WithContext(ctx)
	defer func() {
		cancel()
		g.Wait()
	}()
	q := querier{ctx: ctx, lo: p.Start.Format("2006-01-02"), hi: p.End.Format("2006-01-02"), start: p.Start, end: p.End,
		month: p.Kind == "month", rawClients: p.Kind == "month" || len(stale) > 0}
	// The summaries read the aggregates: those this build rolls up first.
	rolledUp := make(chan struct{})
	summing := len(fuse) == 0
	if summing {
		close(rolledUp)
	}
	bookConn := spareConn(ctx, pool)
	if bookConn != nil {
		g.Go(func() error {
			defer bookConn.Release()
			select {
			case <-rolledUp:
			case <-ctx.Done():
				return ctx.Err()
			}
			return q.summaries(bookConn, wb)
		})
	}
	var raws []*archive.RawSheet
	defer func() {
		for _, r := range raws {
			r.Discard()
		}
	}()
	res.Bytes, res.SHA256, err = atomicfile.WriteSum(res.Path, opt.Perm, func(w io.Writer) error {
		z := archive.NewZip(w, p.Start)
		for _, t := range rawTables {
			var (
				asc   io.Writer
				sheet *archive.RawSheet
				err   error
			)
			if p.Kind != "month" || !opt.NoMonthlyRaw {
				if asc, err = z.Create(t.asc); err != nil {
					return err
				}
			}
			if opt.RawSheets {
				if sheet, err = wb.Raw(t.sheet, t.cols); err != nil {
					return err
				}
				raws = append(raws, sheet)
			}
			if asc == nil && sheet == nil {
				continue
			}
			var n int64
			if fuse[t.table] {
				n, err = fusedPass(ctx, conn, t, p, opt, asc, sheet, res)
			} else {
				n, err = rawPass(ctx, conn, t, p, opt.Loc, asc, sheet, nil)
			}
			if err != nil {
				// A failed summary cancels the rows: say what failed.
				if summing {
					if werr := g.Wait(); werr != nil {
						return fmt.Errorf("%s: %w", WorkbookName(p), werr)
					}
				}
				return err
			}
			delete(fuse, t.table)
			if len(fuse) == 0 && !summing {
				close(rolledUp)
				summing = true
			}
			if sheet != nil {
				if err := sheet.End(); err != nil {
					return err
				}
			}
			if asc != nil {
				res.Rows[t.asc] = n
			}
		}
		if bookConn == nil {
			if err := q.summaries(conn, wb); err != nil {
				return fmt.Errorf("%s: %w", WorkbookName(p), err)
			}
		}
		if err := g.Wait(); err != nil {
			return fmt.Errorf("%s: %w", WorkbookName(p), err)
		}
		for _, r := range raws {
			if err := wb.Attach(r); err != nil {
				return fmt.Errorf("%s: %w", WorkbookName(p), err)
			}
		}
		raws = nil
		// The workbook is a zip already: stored, not compressed again.
		xw, err := z.CreateStored(WorkbookName(p))
		if err != nil {
			return err
		}
		if err := wb.Save(xw); err != nil {
			return fmt.Errorf("%s: %w", WorkbookName(p), err)
		}
		return z.Close()
	})
	if err != nil {
		return nil, fmt.Errorf("report %s: %w", p.Name(), err)
	}
	if len(res.Rows) > 0 {
		res.Empty = true
		for _, n := range res.Rows {
			res.Empty = res.Empty && n == 0
		}
	} else { // a monthly archive without .asc files: ask the tables
		any, err := hasRows(ctx, pool, p)
		if err != nil {
			return nil, err
		}
		res.Empty = !any
	}
	opt.Log.Info("archive written", "period", p.Name(), "path", res.Path, "proxy_rows", res.Rows["proxy.asc"],
		"http_rows", res.Rows["http.asc"], "mail_rows", res.Rows["mail.asc"], "bytes", res.Bytes)
	return res, nil
}

// fusedPass is rawPass of a daily archive that also rolls up t's day, in
// one transaction: the aggregates are written only with the whole day
// read.
func fusedPass(ctx context.Context, conn *pgxpool.Conn, t rawTable, p Period, opt Options, asc io.Writer, sheet *archive.RawSheet, res *Result) (int64, error) {
	var n int64
	err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		f, err := rollup.Begin(ctx, tx, t.table, p.Start, *opt.Rollup)
		if err != nil {
			return err
		}
		began := time.Now()
		if n, err = rawPass(ctx, tx, t, p, opt.Loc, asc, sheet, f); err != nil || f == nil {
			return err
		}
		if err := f.End(ctx, tx); err != nil {
			return err
		}
		res.RolledUp = append(res.RolledUp, rollup.DayTable{Table: t.table, Day: f.Day()})
		opt.Log.Debug("rolled up", "table", t.table, "day", f.Day(), "with", t.asc, "seconds", time.Since(began).Seconds())
		return nil
	})
	return n, err
}

// spareConn is a second connection for the workbook, or nil when the pool
// has none to give within a second.
func spareConn(ctx context.Context, pool *pgxpool.Pool) *pgxpool.Conn {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil
	}
	return conn
}
