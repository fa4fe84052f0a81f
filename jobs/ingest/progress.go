package ingest

import (
	"fmt"
	"io"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// progress draws one self-overwriting line per file on a terminal: bytes
// read of the file on disk, lines per second and the time left.
type progress struct {
	w     io.Writer
	name  string
	size  int64
	pos   func() int64
	lines *atomic.Int64
	start time.Time
	stop  chan struct{}
	done  chan struct{}
	once  sync.Once
}

func startProgress(w io.Writer, path string, size int64, pos func() int64, lines *atomic.Int64) *progress {
	p := &progress{w: w, name: filepath.Base(path), size: size, pos: pos, lines: lines,
		start: time.Now(), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				p.draw()
			case <-p.stop:
				p.draw()
				fmt.Fprintln(p.w)
				return
			}
		}
	}()
	return p
}

func (p *progress) draw() {
	el := time.Since(p.start).Seconds()
	read, lines := p.pos(), p.lines.Load()
	pct, eta := 100.0, "0s"
	if p.size > 0 && read < p.size {
		pct = 100 * float64(read) / float64(p.size)
		if read > 0 {
			eta = time.Duration(el * float64(p.size-read) / float64(read) * float64(time.Second)).Round(time.Second).String()
		}
	}
	rate := 0.0
	if el > 0 {
		rate = float64(lines) / el
	}
	fmt.Fprintf(p.w, "\r%-24.24s %5.1f%% %8.1f/%.1f MB %9.0f lines/s  ETA %-6s", p.name, pct,
		float64(read)/1e6, float64(p.size)/1e6, rate, eta)
}

func (p *progress) finish() {
	if p == nil {
		return
	}
	p.once.Do(func() { close(p.stop); <-p.done })
}
