// Package report builds the archive of a period: the .asc files of every
// table and, in one zip, acct-<period>.zip. It only reads the database.
package report

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/sync/errgroup"

	"github.com/ispacct/ispacct/archive"
	"github.com/ispacct/ispacct/atomicfile"
	"github.com/ispacct/ispacct/config"
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

// ascFile is one .asc file and the query that writes it. PostgreSQL does
// the escaping itself (COPY text format, DELIMITER '|', NULL ”), so the
// file loads back with COPY FROM by construction. zeit is written in the
// session's time zone, which schema.Open sets to the configured one; the
// fraction is trimmed of trailing zeros, like archive.TimeLayout. The ORDER
// BY covers every column, so equal data always gives equal bytes; "C"
// collation keeps the order independent of the server's locale.
type ascFile struct {
	name, header, query string
}

const zeitText = `regexp_replace(to_char(zeit, 'YYYY-MM-DD"T"HH24:MI:SS.US'), '\.?0+$', '') || to_char(zeit, 'TZH:TZM')`

// The archive's row orders, one per table, shared by the .asc files and
// the workbook's raw sheets so both list the rows alike.
const (
	proxyOrder = `ORDER BY zeit, ip_client, url COLLATE "C", status COLLATE "C", methode COLLATE "C", size, lan_name COLLATE "C"`
	httpOrder  = `ORDER BY zeit, ip, url COLLATE "C", datei COLLATE "C", size, htuser COLLATE "C"`
	mailOrder  = `ORDER BY zeit, msgid COLLATE "C", m_to COLLATE "C", m_from COLLATE "C", m_mailer COLLATE "C", m_size,
		m_remote_id COLLATE "C", m_relay COLLATE "C", m_status COLLATE "C"`
)

var ascFiles = []ascFile{
	{"proxy.asc", archive.ProxyHeader, `SELECT lan_name, ip_client, url, ` + zeitText + `, size, status, methode
		FROM proxy WHERE zeit >= %s AND zeit < %s ` + proxyOrder},
	{"http.asc", archive.HTTPHeader, `SELECT ip, url, ` + zeitText + `, size, datei, htuser
		FROM http WHERE zeit >= %s AND zeit < %s ` + httpOrder},
	{"mail.asc", archive.MailHeader, `SELECT msgid, m_to, m_from, m_mailer, m_size, m_remote_id, m_relay, m_status, ` + zeitText + `
		FROM mta WHERE zeit >= %s AND zeit < %s ` + mailOrder},
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
	var stale []string
	rows, err := conn.Query(ctx, `SELECT tbl || ' ' || to_char(day, 'YYYY-MM-DD') FROM ingest_days
		WHERE dirty AND day >= $1::date AND day < $2::date ORDER BY day, tbl`, p.Start.Format("2006-01-02"), p.End.Format("2006-01-02"))
	if err == nil {
		stale, err = pgx.CollectRows(rows, pgx.RowTo[string])
	}
	if err != nil {
		return nil, fmt.Errorf("report %s: %w", p.Name(), err)
	}
	if len(stale) > 0 {
		opt.Log.Warn("aggregates not up to date: run 'ispacct rollup' first; the workbook's summaries leave out rows ingested since", "period", p.Name(), "days", strings.Join(stale, ", "))
	}
	tmp, remove, err := spoolDir(opt)
	if err != nil {
		return nil, fmt.Errorf("report %s: %w", p.Name(), err)
	}
	defer remove()
	// The workbook is built beside the .asc files, on a connection of its
	// own, into a file of the spool: both cores work, and the archive's
	// bytes are those of a build one after the other. A failure of either
	// stops the other. Without a connection to spare (a small pool, all
	// held by locks) it is built after them, on the same connection.
	ctx, cancel := context.WithCancel(ctx)
	g, ctx := errgroup.WithContext(ctx)
	defer func() {
		cancel()
		g.Wait()
	}()
	bookPath := filepath.Join(tmp, WorkbookName(p))
	bookConn := spareConn(ctx, pool)
	if bookConn != nil {
		g.Go(func() error {
			defer bookConn.Release()
			return buildWorkbook(ctx, bookConn, p, opt, tmp, bookPath)
		})
	}
	// COPY (query) takes no parameters: the bounds are written into the
	// query, as timestamps we format ourselves, never text from a log.
	lo, hi := literal(p.Start), literal(p.End)
	res.Bytes, res.SHA256, err = atomicfile.WriteSum(res.Path, opt.Perm, func(w io.Writer) error {
		z := archive.NewZip(w, p.Start)
		for _, f := range ascFiles {
			if p.Kind == "month" && opt.NoMonthlyRaw {
				break
			}
			ew, err := z.Create(f.name)
			if err != nil {
				return err
			}
			if _, err := io.WriteString(ew, f.header+"\n"); err != nil {
				return err
			}
			sql := fmt.Sprintf("COPY ("+f.query+") TO STDOUT (FORMAT text, DELIMITER '|', NULL '')", lo, hi)
			tag, err := conn.Conn().PgConn().CopyTo(ctx, ew, sql)
			if err != nil {
				return fmt.Errorf("%s: %w", f.name, err)
			}
			res.Rows[f.name] = tag.RowsAffected()
		}
		if bookConn == nil {
			g.Go(func() error { return buildWorkbook(ctx, conn, p, opt, tmp, bookPath) })
		}
		if err := g.Wait(); err != nil {
			return fmt.Errorf("%s: %w", WorkbookName(p), err)
		}
		// The workbook is a zip already: stored, not compressed again.
		xw, err := z.CreateStored(WorkbookName(p))
		if err != nil {
			return err
		}
		f, err := os.Open(bookPath)
		if err != nil {
			return err
		}
		defer f.Close()
		if _, err := io.Copy(xw, f); err != nil {
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

func literal(t time.Time) string { return "'" + t.Format(time.RFC3339) + "'::timestamptz" }

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

// buildWorkbook writes the period's workbook to the file path.
func buildWorkbook(ctx context.Context, conn *pgxpool.Conn, p Period, opt Options, tmp, path string) error {
	// Client data: the owner's, as the archive it goes into.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	err = writeWorkbook(ctx, conn, p, opt, tmp, f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
