// Package ingest loads log files into PostgreSQL exactly once per line.
//
// A file is known by its first line, so logrotate's renames and
// compression never make it new. Its rows, its rejects and the ledger entry
// that records how far it was read commit in one transaction, batch by
// batch: a crash or a lost database leaves the last committed batch, and
// the next run goes on from there, if the file still holds there the last
// line read (else it is held, for Reload). A new file whose first lines
// all fail to parse is held too, unread. Reading, parsing and loading overlap: a
// reader goroutine decompresses, parses, assigns LANs and encodes COPY
// batches while the loader writes the previous one.
package ingest

import (
	"context"
	"crypto/sha256"
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

// LockName is the lock an ingest into table holds: retention waits for it
// before it drops a day of that table.
func LockName(table string) string { return "ingest:" + table }

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
	// RejectThreshold is the share of rejected lines above which LeftOut
	// calls a file's ingest partly done.
	RejectThreshold float64
	// Progress, when set (a terminal), gets a progress line per file.
	Progress io.Writer
	Log      *slog.Logger
	// Detect, when set, names the format a file's first lines are in, for
	// a file whose first lines all fail to parse in the source's format.
	Detect Detector
	// Tally, when set, is called in each batch's transaction with what the
	// batch commits, so that a ledger of its own (the run ledger) counts
	// exactly what the tables hold, even of a run killed half way.
	Tally func(ctx context.Context, tx pgx.Tx, t Tally) error
	// CommandFlags are added to the commands a held file's fix names
	// (` --config "/etc/ispacct/other.toml"`), so that they act on the
	// same database.
	CommandFlags string
}

// Detector names the format that parses lines (a file's first ones), if
// any known one does.
type Detector func(lines [][]byte) (format string, ok bool)

// Tally is what one committed batch added.
type Tally struct {
	Source               string
	Lines, Rows, Rejects int64
}

// Result counts what a run did.
type Result struct {
	Source     string           `json:"source"`
	Table      string           `json:"table"`
	Files      int              `json:"files"`          // files that had new lines
	Unchanged  int              `json:"unchanged"`      // files with nothing new
	Lines      int64            `json:"lines"`          // lines read
	Rows       int64            `json:"rows"`           // rows loaded
	Rejects    int64            `json:"rejects"`        // lines rejected
	Outside    int64            `json:"outside"`        // rows left out: outside a backfill's range
	Ignored    int64            `json:"ignored"`        // mail log lines about no message (connects, warnings)
	Blank      int64            `json:"blank"`          // empty lines, or only blanks: skipped
	MTALines   int64            `json:"mta_lines"`      // mail logs: lines of the mail server's own programs
	Reasons    map[string]int64 `json:"reasons"`        // rejects by reason
	FileErrors []FileError      `json:"file_errors"`    // files that could not be read (whole or in part)
	Held       []Held           `json:"held,omitempty"` // files left alone until the administrator acts
	Days       []string         `json:"days"`           // local days that received rows
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
	if err := CheckSource(src); err != nil {
		return nil, err
	}
	format, _ := parsers.LookupFormat(src.Format)
	// The lock comes first: the mail state read below must be the one the
	// last run committed, not one another run is about to replace.
	l, err := lock.Acquire(ctx, pool, LockName(string(format.Table)), opt.Wait)
	if err != nil {
		return nil, err
	}
	defer l.Release()
	var state []byte
	if format.Table == parsers.TableMTA {
		if state, err = loadState(ctx, pool, src.Name); err != nil {
			return nil, err
		}
	}
	in, err := newIngester(ctx, pool, pool, schema.NewPartitions(pool, opt.Loc), src, opt, state)
	if err != nil {
		return nil, err
	}
	for _, path := range src.Files {
		if err := in.file(ctx, path); err != nil {
			return in.res, err
		}
	}
	// A cancel can end a file between two batches without an error; the
	// run is still not done.
	if err := ctx.Err(); err != nil {
		return in.res, fmt.Errorf("ingest %s: %w", src.Name, err)
	}
	in.finish(start)
	return in.res, nil
}

// dbtx is where an ingester writes: the pool, a batch per transaction,
// or one transaction for a whole reload (a batch is then a savepoint).
type dbtx interface {
	Begin(ctx context.Context) (pgx.Tx, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// newIngester prepares a run of src that writes through db. state is what
// the source's last run left open (mail logs), or nil.
func newIngester(ctx context.Context, pool *pgxpool.Pool, db dbtx, parts *schema.Partitions, src Source, opt Options, state []byte) (*ingester, error) {
	if opt.BatchBytes <= 0 {
		opt.BatchBytes = 8 << 20
	}
	lans, err := LoadLANs(ctx, pool)
	if err != nil {
		return nil, err
	}
	dec, err := newDecoder(src.Format, src.VHost, lans, opt.Loc, state)
	if err != nil {
		return nil, err
	}
	retired, err := retiredDays(ctx, pool, dec.table())
	if err != nil {
		return nil, err
	}
	return &ingester{db: db, src: src, opt: opt, dec: dec, parts: parts, lans: lans,
		res:  &Result{Source: src.Name, Table: dec.table(), Reasons: map[string]int64{}},
		days: map[string]bool{}, retired: retired}, nil
}

// finish completes the result once every file is read.
func (in *ingester) finish(start time.Time) {
	if md, ok := in.dec.(*mailDecoder); ok {
		st := md.log.Stats()
		in.res.Ignored, in.res.MTALines = st.Ignored, st.Own
	}
	for d := range in.days {
		in.res.Days = append(in.res.Days, d)
	}
	sort.Strings(in.res.Days)
	in.res.Seconds = time.Since(start).Seconds()
}

type ingester struct {
	db    dbtx
	src   Source
	lans  *LANs
	opt   Options
	dec   decoder
	parts *schema.Partitions
	res   *Result
	days  map[string]bool
	lines atomic.Int64 // lines read of the current file, for progress
	// retired: days whose raw rows retention dropped; late rows for them
	// are rejected, since only their aggregates remain.
	retired map[string]bool
	// reload: one transaction for everything, and the mail state of the
	// source's newest files is not replaced by that of a reloaded one.
	reload bool
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
	blank           int64
	state           []byte // what the decoder keeps after the batch's last line
	readErr         error  // reading stopped here
	// check: where the batch's last line starts and its SHA-256, for the
	// next run to see that the file still holds it there (nil: no line).
	checkOffset int64
	checkSum    []byte
}

func (b *batch) reset() {
	b.rows.Reset()
	b.rejects.Reset()
	b.nrows, b.nrejects, b.lines, b.outside, b.blank = 0, 0, 0, 0, 0
	b.readErr, b.state, b.checkSum = nil, nil, nil
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
	head := fp
	if in.src.VHost != "" {
		if head, err = fingerprint(lf.Reader, ""); err != nil {
			in.fileError(path, 0, err)
			return nil
		}
	}
	entry, err := ledgerEntry(ctx, in.db, in.dec.table(), fp, head, in.src.Name, in.src.Format, path)
	if err != nil {
		return err
	}
	var lr *parsers.LineReader
	if entry.offset == 0 {
		// Nothing of it loaded yet: a file in another format is held
		// before a line of it counts as read.
		if h := in.probe(lf.Reader, path, lf.ModTime); h != nil {
			in.hold(*h)
			return nil
		}
		lr = parsers.NewLineReader(lf.Reader, 0, 0)
		lr.Final = lf.Compression != Plain
	} else {
		var h *Held
		var at int64
		if lr, h, at, err = in.resume(lf, entry, path); err != nil {
			in.fileError(path, at, err)
			return nil
		}
		if h != nil {
			in.hold(*h)
			return nil
		}
	}

	// The reader goroutine fills batches; this goroutine commits them.
	// Three batches circulate: one is filled while two load, each on a
	// connection of its own (see loadAll).
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	free := make(chan *batch, 3)
	full := make(chan *batch, 1)
	for range 3 {
		b := &batch{days: map[time.Time]bool{}, reasons: map[string]int64{}}
		// A batch ends with the row that takes it past BatchBytes.
		b.rows.Grow(in.opt.BatchBytes + 64<<10)
		free <- b
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
	if err := in.loadAll(ctx, entry.id, path, full, free); err != nil {
		return fmt.Errorf("ingest %q: %w", path, err)
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
	var last []byte // the last line read, for the batch's check
	var lastStart int64
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
		if b.lines > 0 {
			sum := sha256.Sum256(last)
			b.checkOffset, b.checkSum = lastStart, sum[:]
		}
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
		last, lastStart = append(last[:0], line...), start
		b.lines++
		if b.lines&4095 == 0 {
			in.lines.Add(4096)
		}
		if err == nil && blank(line) {
			// An empty line is about nothing: neither a row nor a reject.
			b.blank++
			continue
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

// blank reports whether a line holds nothing but spaces and tabs.
func blank(line []byte) bool {
	for _, c := range line {
		if c != ' ' && c != '\t' {
			return false
		}
	}
	return true
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

// loadAll commits the batches of one file in their order. The rows of a
// batch are copied in while the previous batch's are still being copied
// on another connection, so two server processes share the work; a batch
// commits only after the one before it, and its ledger entry says how far
// the file is loaded, so what a crash or a failure leaves is a prefix of
// the file, as with one batch at a time. Inside a reload's transaction
// there is one connection, and batches load one after the other.
func (in *ingester) loadAll(ctx context.Context, fileID int64, path string, full <-chan *batch, free chan<- *batch) error {
	_, overlap := in.db.(*pgxpool.Pool)
	var prev *loading
	defer func() {
		if prev != nil {
			prev.abandon()
		}
	}()
	// finish commits the load still open; stop: reading failed after it.
	finish := func() (stop bool, err error) {
		l := prev
		prev = nil
		return in.endLoad(ctx, fileID, path, l, free)
	}
	for b := range full {
		if prev != nil {
			// One connection loads one batch at a time; and a new
			// partition would wait for the lock the open load holds on
			// the parent: that load ends first.
			wait := !overlap
			if !wait {
				var err error
				if wait, err = in.newPartition(ctx, b); err != nil {
					return err
				}
			}
			if wait {
				if stop, err := finish(); err != nil || stop {
					return err
				}
			}
		}
		cur, err := in.startLoad(ctx, b)
		if err != nil {
			return err
		}
		if prev != nil {
			if stop, err := finish(); err != nil || stop {
				cur.abandon()
				return err
			}
		}
		prev = cur
	}
	if prev != nil {
		_, err := finish()
		return err
	}
	return nil
}

// newPartition reports whether a batch has rows for a day whose partition
// is still to be made.
func (in *ingester) newPartition(ctx context.Context, b *batch) (bool, error) {
	for d := range b.days {
		if missing, err := in.parts.Missing(ctx, in.dec.table(), d); err != nil || missing {
			return missing, err
		}
	}
	return false, nil
}

// loading is a batch whose rows are being copied in, in a transaction
// not yet committed.
type loading struct {
	b    *batch
	days []string
	tx   pgx.Tx
	err  error
	done chan struct{} // closed when the copy has ended
}

func (l *loading) wait() error { <-l.done; return l.err }

// abandon waits for the copy and rolls its transaction back.
func (l *loading) abandon() {
	l.wait()
	if l.tx != nil {
		l.tx.Rollback(context.Background())
	}
}

// startLoad creates the batch's partitions and starts copying its rows in
// a transaction of its own, in the background.
func (in *ingester) startLoad(ctx context.Context, b *batch) (*loading, error) {
	l := &loading{b: b, days: make([]string, 0, len(b.days)), done: make(chan struct{})}
	for d := range b.days {
		if err := in.parts.Ensure(ctx, in.dec.table(), d); err != nil {
			return nil, err
		}
		l.days = append(l.days, d.Format("2006-01-02"))
	}
	go func() {
		defer close(l.done)
		if l.tx, l.err = in.db.Begin(ctx); l.err != nil {
			return
		}
		conn := l.tx.Conn().PgConn()
		if b.nrows > 0 {
			if _, l.err = schema.CopyFrom(ctx, conn, in.dec.table(), in.dec.columns(), b.rows.Finish()); l.err != nil {
				return
			}
		}
		if b.nrejects > 0 {
			_, l.err = schema.CopyFrom(ctx, conn, "rejects", rejectColumns, b.rejects.Finish())
		}
	}()
	return l, nil
}

// endLoad waits for a batch's rows, advances the ledger in the same
// transaction and commits it, then gives the batch back to the reader.
// stop: reading the file failed after this batch.
func (in *ingester) endLoad(ctx context.Context, fileID int64, path string, l *loading, free chan<- *batch) (stop bool, err error) {
	if err := l.wait(); err != nil {
		l.abandon()
		return false, err
	}
	b := l.b
	if err := in.commit(ctx, l.tx, fileID, b, l.days); err != nil {
		l.abandon()
		return false, err
	}
	readErr := b.readErr
	free <- b
	if readErr != nil {
		in.fileError(path, b.endOffset, readErr)
		return true, nil
	}
	return false, nil
}

// commit advances the ledger in the transaction that copied the batch's
// rows, and commits it.
func (in *ingester) commit(ctx context.Context, tx pgx.Tx, fileID int64, b *batch, days []string) error {
	tag, err := tx.Exec(ctx, advanceLedger, fileID, b.endOffset, b.endLine, b.nrows, b.nrejects, b.checkOffset, b.checkSum)
	if err != nil {
		return fmt.Errorf("advance ledger: %w", err)
	}
	if tag.RowsAffected() != 1 {
		// A reload removed the file's entry meanwhile: rows without
		// it would be loaded twice. The batch rolls back.
		return fmt.Errorf("advance ledger: the file's ledger entry %d is gone (reloaded meanwhile?)", fileID)
	}
	if in.opt.Tally != nil {
		t := Tally{Source: in.src.Name, Lines: b.lines, Rows: b.nrows, Rejects: b.nrejects}
		if err := in.opt.Tally(ctx, tx, t); err != nil {
			return fmt.Errorf("tally the batch: %w", err)
		}
	}
	if b.state != nil && !in.reload {
		if _, err := tx.Exec(ctx, saveState, in.src.Name, b.state); err != nil {
			return fmt.Errorf("save mail state: %w", err)
		}
	}
	if len(days) > 0 {
		if _, err := tx.Exec(ctx, touchDays, in.dec.table(), days); err != nil {
			return fmt.Errorf("record days: %w", err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return err
	}
	in.res.Lines += b.lines
	in.res.Rows += b.nrows
	in.res.Rejects += b.nrejects
	in.res.Outside += b.outside
	in.res.Blank += b.blank
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
