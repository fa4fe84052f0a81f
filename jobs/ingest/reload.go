package ingest

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ispacct/ispacct/lock"
	"github.com/ispacct/ispacct/parsers"
	"github.com/ispacct/ispacct/schema"
)

// Reloaded is what a reload replaced, file by file.
type Reloaded struct {
	Source        string         `json:"source"`
	Table         string         `json:"table"`
	Files         []ReloadedFile `json:"files"`
	RowsBefore    int64          `json:"rows_before"`
	RejectsBefore int64          `json:"rejects_before"`
	RowsAfter     int64          `json:"rows_after"`
	RejectsAfter  int64          `json:"rejects_after"`
	// Days are the local days marked for rollup: those of the rows
	// removed and those of the rows loaded.
	Days    []string `json:"days"`
	Load    *Result  `json:"load"`
	Seconds float64  `json:"seconds"`
}

// ReloadedFile is one file's rows and rejects before and after.
type ReloadedFile struct {
	Path          string `json:"path"`
	RowsBefore    int64  `json:"rows_before"`
	RejectsBefore int64  `json:"rejects_before"`
	RowsAfter     int64  `json:"rows_after"`
	RejectsAfter  int64  `json:"rejects_after"`
}

// oldEntry is a ledger entry a reload replaces.
type oldEntry struct {
	id   int64
	tbl  string
	path string // the file named for the reload that it belongs to
}

// Reload loads src's files again from their first line, as they are now,
// in src's format: in one transaction it removes the rows, rejects and
// ledger entries that came from them before (whatever format or table
// they were read in, and if they were read without the vhost src names),
// loads them, and marks the days of both the old and new rows for rollup.
// Either all of that commits or nothing does: a file that cannot be read,
// or whose first lines do not parse in src's format, fails the reload.
//
// A mail log's messages that began in an earlier file are not completed
// by a reload, and the source's kept state is left as it was.
func Reload(ctx context.Context, pool *pgxpool.Pool, src Source, opt Options) (*Reloaded, error) {
	start := time.Now()
	if err := CheckSource(src); err != nil {
		return nil, err
	}
	format, _ := parsers.LookupFormat(src.Format)
	prints, err := reloadPrints(src)
	if err != nil {
		return nil, err
	}
	// Lock every table the files were loaded into, and the one they go to
	// now, in one order so that two reloads do not deadlock.
	tables := []string{string(format.Table)}
	olds, err := oldEntries(ctx, pool, prints)
	if err != nil {
		return nil, err
	}
	for _, o := range olds {
		tables = append(tables, o.tbl)
	}
	sort.Strings(tables)
	for _, t := range slices.Compact(tables) {
		l, err := lock.Acquire(ctx, pool, LockName(t), opt.Wait)
		if err != nil {
			return nil, err
		}
		defer l.Release()
	}

	tx, err := pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("reload: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if olds, err = oldEntries(ctx, tx, prints); err != nil {
		return nil, err
	}
	out := &Reloaded{Source: src.Name, Table: string(format.Table)}
	files := map[string]*ReloadedFile{}
	var order []string
	for _, p := range src.Files {
		if files[p] == nil {
			files[p] = &ReloadedFile{Path: p}
			order = append(order, p)
		}
	}
	oldDays := map[string]map[string]bool{} // table: days
	var earliest time.Time                  // of the rows removed
	for _, o := range olds {
		if !slices.Contains(schema.PartitionedTables, o.tbl) {
			return nil, fmt.Errorf("reload: ledger entry %d names table %q", o.id, o.tbl)
		}
		rows, rejects, err := removeFile(ctx, tx, o, opt.Loc, oldDays, &earliest)
		if err != nil {
			return nil, fmt.Errorf("reload %s: %w", o.path, err)
		}
		f := files[o.path]
		f.RowsBefore += rows
		f.RejectsBefore += rejects
		out.RowsBefore += rows
		out.RejectsBefore += rejects
	}

	// Lines that were rows before stay rows, however old they are now:
	// the window of plausible timestamps keeps out clock errors, not the
	// rows a reload replaces.
	if !earliest.IsZero() && earliest.Before(opt.NotBefore) {
		opt.NotBefore = schema.Day(earliest, opt.Loc)
	}
	in, err := newIngester(ctx, pool, tx, schema.NewPartitions(tx, opt.Loc), src, opt, nil)
	if err != nil {
		return nil, err
	}
	in.reload = true
	for _, p := range src.Files {
		rows, rejects := in.res.Rows, in.res.Rejects
		if err := in.file(ctx, p); err != nil {
			return nil, err
		}
		files[p].RowsAfter += in.res.Rows - rows
		files[p].RejectsAfter += in.res.Rejects - rejects
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("reload %s: %w", src.Name, err)
	}
	in.finish(start) // LeftOut reads what finish counts (a mail log's own lines)
	if left := LeftOut(src, in.res, 1); len(left) > 0 {
		return nil, fmt.Errorf("reload %s: nothing changed: %s", src.Name, strings.Join(left, "; "))
	}
	days := map[string]bool{}
	for _, d := range in.res.Days {
		days[d] = true
	}
	for tbl, ds := range oldDays {
		list := make([]string, 0, len(ds))
		for d := range ds {
			list = append(list, d)
			days[d] = true
		}
		if _, err := tx.Exec(ctx, touchDays, tbl, list); err != nil {
			return nil, fmt.Errorf("reload: record days: %w", err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("reload: commit: %w", err)
	}
	for _, p := range order {
		out.Files = append(out.Files, *files[p])
	}
	for d := range days {
		out.Days = append(out.Days, d)
	}
	sort.Strings(out.Days)
	out.RowsAfter, out.RejectsAfter, out.Load = in.res.Rows, in.res.Rejects, in.res
	out.Seconds = time.Since(start).Seconds()
	opt.Log.Info("files reloaded", "source", src.Name, "files", len(out.Files), "rows_before", out.RowsBefore,
		"rows_after", out.RowsAfter, "rejects_before", out.RejectsBefore, "rejects_after", out.RejectsAfter)
	return out, nil
}

// filePrints says how to find what src's files were loaded as before: by
// fingerprint (with src's vhost, and without any), or by first line and
// path (loaded under another vhost). Each maps to the file as named.
type filePrints struct {
	prints map[string]string // fingerprint: file
	heads  map[string]string // first line's hash, NUL, path as recorded: file
}

func reloadPrints(src Source) (filePrints, error) {
	fps := filePrints{prints: map[string]string{}, heads: map[string]string{}}
	for _, p := range src.Files {
		lf, err := OpenLog(p)
		if err != nil {
			return fps, fmt.Errorf("reload: %w", err)
		}
		for _, v := range slices.Compact([]string{src.VHost, ""}) {
			fp, err := fingerprint(lf.Reader, v)
			if errors.Is(err, errNoFirstLine) {
				break
			}
			if err != nil {
				lf.Close()
				return fps, fmt.Errorf("reload %s: %w", p, err)
			}
			fps.prints[string(fp)] = p
			if v == "" {
				fps.heads[string(fp)+"\x00"+p] = p
				if abs, err := filepath.Abs(p); err == nil {
					fps.heads[string(fp)+"\x00"+abs] = p
				}
			}
		}
		lf.Close()
	}
	return fps, nil
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// oldEntries finds the files' ledger entries, in any table. A first line
// alone does not tell files apart (two vhosts' logs may start with the
// same request in the same second): with it, the path must match too.
func oldEntries(ctx context.Context, db querier, fps filePrints) ([]oldEntry, error) {
	keys := make([][]byte, 0, len(fps.prints))
	for fp := range fps.prints {
		keys = append(keys, []byte(fp))
	}
	var heads [][]byte
	var paths []string
	for k := range fps.heads {
		h, p, _ := strings.Cut(k, "\x00")
		heads = append(heads, []byte(h))
		paths = append(paths, p)
	}
	rows, err := db.Query(ctx, `SELECT id, tbl, fingerprint, coalesce(head_sha256, ''), path FROM ingest_files
		WHERE fingerprint = ANY ($1) OR (head_sha256 = ANY ($2) AND path = ANY ($3)) ORDER BY id`, keys, heads, paths)
	if err != nil {
		return nil, fmt.Errorf("reload: read the ingest ledger: %w", err)
	}
	defer rows.Close()
	var out []oldEntry
	for rows.Next() {
		var o oldEntry
		var fp, head []byte
		var path string
		if err := rows.Scan(&o.id, &o.tbl, &fp, &head, &path); err != nil {
			return nil, fmt.Errorf("reload: read the ingest ledger: %w", err)
		}
		var ok bool
		if o.path, ok = fps.prints[string(fp)]; !ok {
			if o.path, ok = fps.heads[string(head)+"\x00"+path]; !ok {
				continue // a first line and a path of two different files
			}
		}
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reload: read the ingest ledger: %w", err)
	}
	return out, nil
}

// removeFile deletes what a ledger entry's file loaded: its rows, noting
// their local days and the earliest of them, its rejects and the entry
// itself.
func removeFile(ctx context.Context, tx pgx.Tx, o oldEntry, loc *time.Location, days map[string]map[string]bool, earliest *time.Time) (nrows, nrejects int64, err error) {
	// o.tbl is one of schema.PartitionedTables (checked by the caller).
	rows, err := tx.Query(ctx, `DELETE FROM `+pgx.Identifier{o.tbl}.Sanitize()+` WHERE src_file = $1 RETURNING zeit`, o.id)
	if err != nil {
		return 0, 0, fmt.Errorf("remove rows from %s: %w", o.tbl, err)
	}
	if days[o.tbl] == nil {
		days[o.tbl] = map[string]bool{}
	}
	var lo, hi time.Time
	var zeit time.Time
	_, err = pgx.ForEachRow(rows, []any{&zeit}, func() error {
		nrows++
		if earliest.IsZero() || zeit.Before(*earliest) {
			*earliest = zeit
		}
		if zeit.Before(lo) || !zeit.Before(hi) {
			lo = schema.Day(zeit, loc)
			hi = schema.NextDay(lo)
			days[o.tbl][lo.Format("2006-01-02")] = true
		}
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("remove rows from %s: %w", o.tbl, err)
	}
	tag, err := tx.Exec(ctx, `DELETE FROM rejects WHERE file_id = $1`, o.id)
	if err != nil {
		return 0, 0, fmt.Errorf("remove rejects: %w", err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM ingest_files WHERE id = $1`, o.id); err != nil {
		return 0, 0, fmt.Errorf("remove ledger entry: %w", err)
	}
	return nrows, tag.RowsAffected(), nil
}

// Summary is the reload's report for people: rows and rejects before →
// after, per file and in all, and the days left for rollup.
func (r *Reloaded) Summary() string {
	var b strings.Builder
	files := "files"
	if len(r.Files) == 1 {
		files = "file"
	}
	fmt.Fprintf(&b, "%s: %d %s reloaded into %s: rows %d → %d, rejects %d → %d, %.2f s\n",
		r.Source, len(r.Files), files, r.Table, r.RowsBefore, r.RowsAfter, r.RejectsBefore, r.RejectsAfter, r.Seconds)
	for _, f := range r.Files {
		fmt.Fprintf(&b, "  %s: rows %d → %d, rejects %d → %d\n", f.Path, f.RowsBefore, f.RowsAfter, f.RejectsBefore, f.RejectsAfter)
	}
	if len(r.Days) > 0 {
		fmt.Fprintf(&b, "  days marked for rollup: %s\n", strings.Join(r.Days, ", "))
	}
	return b.String()
}
