package ingest

import (
	"io"
	"sync"
	"sync/atomic"
)

// readahead decompresses in a goroutine of its own, a block ahead of the
// parser, so that the two overlap on separate cores: decompression is
// serial by nature and would otherwise set the pace alone.
type readahead struct {
	full chan block
	free chan []byte
	stop chan struct{}
	wg   sync.WaitGroup

	cur  block
	off  int
	done bool
}

type block struct {
	buf []byte
	n   int
	err error
}

const (
	readaheadBlock  = 1 << 20
	readaheadBlocks = 4
)

func newReadahead(r io.Reader) *readahead {
	ra := &readahead{
		full: make(chan block, readaheadBlocks),
		free: make(chan []byte, readaheadBlocks),
		stop: make(chan struct{}),
	}
	for range readaheadBlocks {
		ra.free <- make([]byte, readaheadBlock)
	}
	ra.wg.Add(1)
	go ra.fill(r)
	return ra
}

func (ra *readahead) fill(r io.Reader) {
	defer ra.wg.Done()
	for {
		var buf []byte
		select {
		case buf = <-ra.free:
		case <-ra.stop:
			return
		}
		// Fill the block; only a plain io.EOF is a clean end. A truncated
		// stream's io.ErrUnexpectedEOF must reach the caller as it is.
		n := 0
		var err error
		for n < len(buf) && err == nil {
			var k int
			k, err = r.Read(buf[n:])
			n += k
		}
		select {
		case ra.full <- block{buf, n, err}:
		case <-ra.stop:
			return
		}
		if err != nil {
			return
		}
	}
}

func (ra *readahead) Read(p []byte) (int, error) {
	for ra.off == ra.cur.n {
		if ra.cur.err != nil {
			return 0, ra.cur.err
		}
		if ra.cur.buf != nil {
			ra.free <- ra.cur.buf
		}
		ra.cur, ra.off = <-ra.full, 0
	}
	n := copy(p, ra.cur.buf[ra.off:ra.cur.n])
	ra.off += n
	return n, nil
}

// Close stops the goroutine and waits for it, so that the file under it
// can be closed safely.
func (ra *readahead) Close() {
	if ra.done {
		return
	}
	ra.done = true
	close(ra.stop)
	ra.wg.Wait()
}

// countingReader counts the bytes read from the file itself (compressed),
// for progress and ETA.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}
