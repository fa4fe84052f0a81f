package ingest

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// Compression names how a log file is stored. It is detected from the
// file's first bytes, never from its name: logrotate's names lie as often
// as not once an admin has moved files around.
type Compression string

// The compressions a log file may have.
const (
	Plain Compression = "plain"
	Gzip  Compression = "gzip"
	Zstd  Compression = "zstd"
	Bzip2 Compression = "bzip2"
	XZ    Compression = "xz"
)

var magics = []struct {
	magic []byte
	c     Compression
}{
	{[]byte{0x1f, 0x8b}, Gzip},
	{[]byte{0x28, 0xb5, 0x2f, 0xfd}, Zstd},
	{[]byte("BZh"), Bzip2},
	{[]byte{0xfd, '7', 'z', 'X', 'Z', 0x00}, XZ},
}

// LogFile is an open log file, decompressed, with a large read buffer.
type LogFile struct {
	*bufio.Reader
	Compression Compression
	Size        int64           // bytes on disk
	ModTime     time.Time       // the file's modification time
	raw         *countingReader // bytes read from disk so far
	f           *os.File
	ahead       *readahead
	closer      func()
}

// Position is how far into the file on disk reading has come.
func (l *LogFile) Position() int64 { return l.raw.n.Load() }

func (l *LogFile) Close() error {
	if l.ahead != nil {
		l.ahead.Close()
	}
	if l.closer != nil {
		l.closer()
	}
	return l.f.Close()
}

// OpenLog opens path and decompresses it by its content, ahead of the
// reader in a goroutine of its own.
func OpenLog(path string) (*LogFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	var size int64
	var mtime time.Time
	if fi, err := f.Stat(); err == nil {
		size, mtime = fi.Size(), fi.ModTime()
	}
	counted := &countingReader{r: f}
	raw := bufio.NewReaderSize(counted, 256<<10)
	head, _ := raw.Peek(6)
	l := &LogFile{Compression: Plain, Size: size, ModTime: mtime, raw: counted, f: f}
	for _, m := range magics {
		if bytes.HasPrefix(head, m.magic) {
			l.Compression = m.c
			break
		}
	}
	var r io.Reader
	switch l.Compression {
	case Plain:
		l.Reader = raw
		return l, nil
	case Gzip:
		zr, err := gzip.NewReader(raw) // multistream: concatenated members are one log
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("gzip header: %w", err)
		}
		r, l.closer = zr, func() { zr.Close() }
	case Zstd:
		zr, err := zstd.NewReader(raw, zstd.WithDecoderConcurrency(1))
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("zstd header: %w", err)
		}
		r, l.closer = zr, zr.Close
	case Bzip2:
		r = bzip2.NewReader(raw)
	case XZ:
		xr, err := xz.NewReader(raw)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("xz header: %w", err)
		}
		r = xr
	}
	l.ahead = newReadahead(r)
	l.Reader = bufio.NewReaderSize(l.ahead, 256<<10)
	return l, nil
}
