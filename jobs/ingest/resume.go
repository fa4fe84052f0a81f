package ingest

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"

	"github.com/ispacct/ispacct/parsers"
)

// resume positions reading of a file after its checkpoint. It first reads
// again the last line loaded and checks it is still there, whole and
// unchanged: a file cut short and grown again past the checkpoint would
// otherwise be read on from the middle of some line, its first new lines
// lost without a word. A file that fails the check is held (h); a read
// error is returned with the offset it happened at.
func (in *ingester) resume(lf *LogFile, e fileEntry, path string) (lr *parsers.LineReader, h *Held, at int64, err error) {
	final := lf.Compression != Plain
	skip := e.offset
	if e.checkSum != nil {
		skip = e.checkOffset
	}
	n, err := io.CopyN(io.Discard, lf, skip)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, nil, n, err
	}
	if n < skip {
		c := in.changed(path, e, fmt.Sprintf("it is %d bytes long, %d were read before", n, e.offset))
		return nil, &c, 0, nil
	}
	if e.checkSum == nil {
		// Read before checks were recorded: only a shorter file is noticed.
		lr = parsers.NewLineReader(lf.Reader, e.offset, e.lines)
		lr.Final = final
		return lr, nil, 0, nil
	}
	lr = parsers.NewLineReader(lf.Reader, e.checkOffset, e.lines-1)
	lr.Final = final
	line, err := lr.Next()
	if errors.Is(err, io.EOF) {
		c := in.changed(path, e, fmt.Sprintf("it is %d bytes long, %d were read before", e.checkOffset+int64(lr.Pending()), e.offset))
		return nil, &c, 0, nil
	}
	if err != nil && !errors.Is(err, parsers.ErrLineTooLong) {
		return nil, nil, e.checkOffset, err
	}
	if sum := sha256.Sum256(line); lr.Offset() != e.offset || !bytes.Equal(sum[:], e.checkSum) {
		c := in.changed(path, e, fmt.Sprintf("line %d, the last one loaded, is no longer the same at byte %d", e.lines, e.checkOffset))
		return nil, &c, 0, nil
	}
	return lr, nil, 0, nil
}
