// Package ingest loads log files into PostgreSQL exactly once per line.
//
// A file is known by its first line, so logrotate's renames and
// compression never make it new. Its rows, its rejects and the ledger entry
// that records how far it was read commit in one transaction, batch by
// batch: a crash or a lost database leaves the last committed batch, and
// the next run goes on from there. Reading, parsing and loading overlap: a
// reader goroutine decompresses, parses, assigns LANs and encodes COPY
// batches while the loader writes the previous one.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ispacct/ispacct/lock"
	"github.com/ispacct/ispacct/parsers"
	"github.com/ispacct/ispacct/schema"
)

// Source is a set of files of one format, in reading order.
type Source struct {
	Name   string
	Format string
	Files  []string
	VHost  string // per-virtual-host Apache logs: the vhost of these files
	// Globs are the configured paths Files were found by (Expand); empty
	// for files named on the command line.
	Globs []string
}

// Options tune a run.
type Options struct {
	Loc *time.Location
	// Rows dated outside [NotBefore, NotAfter) are rejected as clock errors,
	// or, with Outside set (a backfill's range), left out and counted.
	NotBefore, NotAfter time.Time
	Outside             bool
	// Wait for another ingest of the same table instead of failing.
	Wait bool
	// BatchBytes bounds a batch's encoded size (default 8 MiB).
	BatchBytes int
	// Progress, when set (a terminal), gets a progress line per file.
	Progress io.Writer
	Log      *slog.Logger
}

// Result counts what a run did.
type Result struct {
	Source     string           `json:"source"`
	Table      string           `json:"table"`
	Files      int              `json:"files"`       // files that had new lines
	Unchanged  int              `json:"unchanged"`   // files with nothing new
	Lines      int64            `json:"lines"`       // lines read
	Rows       int64            `json:"rows"`        // rows loaded
	Rejects    int64            `json:"rejects"`     // lines rejected
	Outside    int64            `json:"outside"`     // rows left out: outside a backfill's range
	Ignored    int64            `json:"ignored"`     // lines that give no row and are no reject: blank, or mail about no message (connects, warnings)
	Reasons    map[string]int64 `json:"reasons"`     // rejects by reason
	FileErrors []FileError      `json:"file_errors"` // files that could not be read (whole or in part)
	Days       []string         `json:"days"`        // local days that received rows
	Seconds    float64          `json:"seconds"`
}

// FileError is a file that could not be read, whole or from Offset on.
type FileError struct {
	Path   string `json:"path"`
	Offset int64  `json:"offset"` // uncompressed byte offset where reading stopped
	Err    string `json:"error"`
}

// Run ingests a source. A database error ends the run with an error
// (committed batches stay); a file that cannot be read is named in
// Result.FileErrors and the others go on.
func Run(ctx context.Context, pool *pgxpool.Pool, src Source, opt Options) (*Result, error) {
	start := time.Now()
	if opt.BatchBytes <= 0 {
		opt.BatchBytes = 8 << 20
	}
	format, ok := parsers.LookupFormat(src.Format)
	if !ok {
		return nil, fmt.Errorf("unknown format %q", src.Format)
	}
	// The lock comes first: the mail state read below must be the one the
	// last run committed, not one another run is about to replace.
	l, err := lock.Acquire(ctx, pool, "ingest:"+string(format.Table), opt.Wait)
	if err != nil {
		return nil, err
	}
	defer l.Release()
	lans, err := LoadLANs(ctx, pool)
	if err != nil {
		return nil, err
	}
	var state []byte
	if format.Table == parsers.TableMTA {
		if state, err = loadState(ctx, pool, src.Name); err != nil {
			return nil, err
		}
	}
	dec, err := newDecoder(src.Format, src.VHost, lans, opt.Loc, state)
	if err != nil {
		return nil, err
	}
	res := &Result{Source: src.Name, Table: dec.table(), Reasons: map[string]int64{}}

	retired, err := retiredDays(ctx, pool, dec.table())
	if err != nil {
		return nil, err
	}
	in := &ingester{pool: pool, src: src, opt: opt, dec: dec, parts: schema.NewPartitions(pool, opt.Loc), res: res,
		days: map[string]bool{}, retired: retired}
	for _, path := range src.Files {
		if err := in.file(ctx, path); err != nil {
			return res, err
		}
	}
	// A cancel can end a file between two batches without an error; the
	// run is still not done.
	if err := ctx.Err(); err != nil {
		return res, fmt.Errorf("ingest %s: %w", src.Name, err)
	}
	switch d := dec.(type) {
	case *mailDecoder:
		res.Ignored = d.log.Stats().Ignored
	case *proxyDecoder:
		res.Ignored = d.blank
	case *httpDecoder:
		res.Ignored = d.blank
	}
	for d := range in.days {
		res.Days = append(res.Days, d)
	}
	sort.Strings(res.Days)
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

type ingester struct {
	pool  *pgxpool.Pool
	src   Source
	opt   Options
	dec   decoder
	parts *schema.Partitions
	res   *Result
	days  map[string]bool
	lines atomic.Int64 // lines read of the current file, for progress
	// retired: days whose raw rows retention dropped; late rows for them
	// are rejected, since only their aggregates remain.
	retired map[string]bool
}

// batch is a run of lines ready to commit together.
type batch struct {
	rows, rejects   schema.CopyBuffer
	nrows, nrejects int64
	lines           int64
	endOffset       int64 // file offset after the batch's last line
	endLine         int64
	days            map[time.Time]bool
	reasons         map[string]int64
	outside         int64
	state           []byte // what the decoder keeps after the batch's last line
	readErr         error  // reading stopped here
}

func (b *batch) reset() {
	b.rows.Reset()
	b.rejects.Reset()
	b.nrows, b.nrejects, b.lines, b.outside = 0, 0, 0, 0
	b.readErr, b.state = nil, nil
	clear(b.days)
	clear(b.reasons)
}

var rejectColumns = []string{"file_id", "line", "byte_offset", "reason", "raw"}

func (in *ingester) file(ctx context.Context, path string) error {
	log := in.opt.Log.With("source", in.src.Name, "file", path)
	lf, err := OpenLog(path)
	if err != nil {
		in.fileError(path, 0, err)
		return nil
	}
	defer lf.Close()
	fp, err := fingerprint(lf.Reader, in.src.VHost)
	if errors.Is(err, errNoFirstLine) {
		log.Debug("file skipped", "reason", err)
		return nil
	}
	if err != nil {
		in.fileError(path, 0, err)
		return nil
	}
	entry, err := ledgerEntry(ctx, in.pool, in.dec.table(), fp, in.src.Name, in.src.Format, path)
	if err != nil {
		return err
	}
	if entry.offset > 0 {
		n, err := io.CopyN(io.Discard, lf, entry.offset)
		if err != nil && !errors.Is(err, io.EOF) {
			in.fileError(path, n, err)
			return nil
		}
		if n < entry.offset {
			log.Warn("file is shorter than what was read of it before; left alone", "size", n, "read_before", entry.offset)
			return nil
		}
	}
	lr := parsers.NewLineReader(lf.Reader, entry.offset, entry.lines)
	lr.Final = lf.Compression != Plain

	// The reader goroutine fills batches; this goroutine commits them. Two
	// batches circulate, so one is filled while the other loads.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	free := make(chan *batch, 2)
	full := make(chan *batch, 1)
	for range 2 {
		free <- &batch{days: map[time.Time]bool{}, reasons: map[string]int64{}}
	}
	in.lines.Store(0)
	var prog *progress
	if in.opt.Progress != nil {
		prog = startProgress(in.opt.Progress, path, lf.Size, lf.Position, &in.lines)
		defer prog.finish()
	}
	in.dec.startFile(lf.ModTime)
	go in.read(ctx, lr, entry.id, free, full)

	before := in.res.Lines
	for b := range full {
		if err := in.commit(ctx, entry.id, b); err != nil {
			return fmt.Errorf("ingest %q: %w", path, err)
		}
		readErr := b.readErr
		free <- b
		if readErr != nil {
			in.fileError(path, b.endOffset, readErr)
			break
		}
	}
	prog.finish()
	if in.res.Lines > before {
		in.res.Files++
		log.Info("file ingested", "lines", in.res.Lines-before, "offset", lr.Offset())
	} else {
		in.res.Unchanged++
	}
	if lr.Pending() > 0 {
		log.Debug("unfinished last line left for the next run", "bytes", lr.Pending())
	}
	return nil
}

// read parses lines into batches until the file ends, reading fails or ctx
// is cancelled. It closes full when done.
func (in *ingester) read(ctx context.Context, lr *parsers.LineReader, fileID int64, free, full chan *batch) {
	defer close(full)
	var b *batch
	take := func() bool {
		select {
		case b = <-free:
			b.reset()
			return true
		case <-ctx.Done():
			return false
		}
	}
	send := func() bool {
		b.endOffset, b.endLine = lr.Offset(), lr.Line()
		if st, err := in.dec.state(); err != nil {
			b.readErr = err
		} else {
			b.state = st
		}
		select {
		case full <- b:
			b = nil
			return true
		case <-ctx.Done():
			return false
		}
	}
	if !take() {
		return
	}
	var dayLo, dayHi time.Time // the local day of the last row, to skip recomputing it
	for {
		start := lr.Offset()
		line, err := lr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil && !errors.Is(err, parsers.ErrLineTooLong) {
			b.readErr = err
			break
		}
		b.lines++
		if b.lines&4095 == 0 {
			in.lines.Add(4096)
		}
		reason := ""
		if err != nil {
			reason = parsers.Reason(err)
		} else if n, perr := in.dec.parse(line); perr != nil {
			reason = parsers.Reason(perr)
		} else {
			for i := range n {
				t := in.dec.zeit(i)
				if r := in.outOfRange(t); r != "" {
					if in.opt.Outside {
						b.outside++
					} else {
						reason = r
					}
					continue
				}
				if t.Before(dayLo) || !t.Before(dayHi) {
					dayLo = schema.Day(t, in.opt.Loc)
					dayHi = schema.NextDay(dayLo)
					if in.retired[dayLo.Format("2006-01-02")] {
						reason = "day past raw retention"
						dayLo, dayHi = time.Time{}, time.Time{}
						continue
					}
					b.days[dayLo] = true
				}
				in.dec.encode(i, &b.rows, fileID, lr.Line())
				b.nrows++
			}
		}
		if reason != "" {
			b.rejects.Row(len(rejectColumns))
			b.rejects.Int64(fileID)
			b.rejects.Int64(lr.Line())
			b.rejects.Int64(start)
			b.rejects.String(reason)
			b.rejects.Text(line)
			b.nrejects++
			b.reasons[reason]++
		}
		if b.rows.Len()+b.rejects.Len() >= in.opt.BatchBytes {
			if !send() || !take() {
				return
			}
			dayLo, dayHi = time.Time{}, time.Time{}
		}
	}
	if b.lines > 0 || b.readErr != nil {
		send()
	}
}

func (in *ingester) outOfRange(t time.Time) string {
	if !in.opt.NotBefore.IsZero() && t.Before(in.opt.NotBefore) {
		return "timestamp before " + in.opt.NotBefore.In(in.opt.Loc).Format("2006-01-02")
	}
	if !in.opt.NotAfter.IsZero() && !t.Before(in.opt.NotAfter) {
		return "timestamp after " + in.opt.NotAfter.In(in.opt.Loc).Format("2006-01-02 15:04")
	}
	return ""
}

// commit loads a batch and advances the ledger in one transaction.
func (in *ingester) commit(ctx context.Context, fileID int64, b *batch) error {
	days := make([]string, 0, len(b.days))
	for d := range b.days {
		if err := in.parts.Ensure(ctx, in.dec.table(), d); err != nil {
			return err
		}
		days = append(days, d.Format("2006-01-02"))
	}
	err := pgx.BeginFunc(ctx, in.pool, func(tx pgx.Tx) error {
		conn := tx.Conn().PgConn()
		if b.nrows > 0 {
			if _, err := schema.CopyFrom(ctx, conn, in.dec.table(), in.dec.columns(), b.rows.Finish()); err != nil {
				return err
			}
		}
		if b.nrejects > 0 {
			if _, err := schema.CopyFrom(ctx, conn, "rejects", rejectColumns, b.rejects.Finish()); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, advanceLedger, fileID, b.endOffset, b.endLine, b.nrows, b.nrejects); err != nil {
			return fmt.Errorf("advance ledger: %w", err)
		}
		if b.state != nil {
			if _, err := tx.Exec(ctx, saveState, in.src.Name, b.state); err != nil {
				return fmt.Errorf("save mail state: %w", err)
			}
		}
		if len(days) > 0 {
			if _, err := tx.Exec(ctx, touchDays, in.dec.table(), days); err != nil {
				return fmt.Errorf("record days: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	in.res.Lines += b.lines
	in.res.Rows += b.nrows
	in.res.Rejects += b.nrejects
	in.res.Outside += b.outside
	for r, n := range b.reasons {
		in.res.Reasons[r] += n
	}
	for _, d := range days {
		in.days[d] = true
	}
	return nil
}

func (in *ingester) fileError(path string, offset int64, err error) {
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	in.res.FileErrors = append(in.res.FileErrors, FileError{Path: path, Offset: offset, Err: err.Error()})
	in.opt.Log.Error("file not read", "source", in.src.Name, "file", path, "offset", offset, "err", err)
}
