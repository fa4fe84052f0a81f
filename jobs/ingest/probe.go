package ingest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/ispacct/ispacct/parsers"
)

// A new file's first lines (up to probeLines non-blank ones within
// probeBytes) are parsed before anything is loaded: if none of them
// parses, the file is in another format than the source says, and
// loading it would record every line as a reject and the file as read,
// so that the right format could never load it.
const (
	probeLines = 20
	probeBytes = 64 << 10
)

// probe returns why a new file must be held, or nil to read it.
func (in *ingester) probe(r *bufio.Reader, path string, mtime time.Time) *Held {
	head, err := r.Peek(probeBytes)
	if err != nil && !errors.Is(err, bufio.ErrBufferFull) && len(head) == 0 {
		return nil // reading reports it
	}
	var lines [][]byte
	for len(lines) < probeLines {
		i := bytes.IndexByte(head, '\n')
		if i < 0 {
			break
		}
		line := bytes.TrimSuffix(head[:i], []byte("\r"))
		head = head[i+1:]
		if len(bytes.TrimSpace(line)) > 0 {
			lines = append(lines, line)
		}
	}
	if len(lines) == 0 {
		return nil
	}
	dec, err := newDecoder(in.src.Format, in.src.VHost, in.lans, in.opt.Loc, nil)
	if err != nil {
		return nil
	}
	dec.startFile(mtime)
	first := ""
	for _, l := range lines {
		_, err := dec.parse(l)
		if err == nil {
			return nil
		}
		if first == "" {
			first = parsers.Reason(err)
		}
	}
	h := Held{Path: path, Reason: fmt.Sprintf("none of its first %d lines parses as %s (%s); nothing was loaded from it", len(lines), in.src.Format, first)}
	other := ""
	if in.opt.Detect != nil {
		if f, ok := in.opt.Detect(lines); ok && f != in.src.Format {
			other = f
		}
	}
	switch {
	case other != "" && len(in.src.Globs) > 0:
		h.Reason += "; they parse as " + other
		h.Fix = fmt.Sprintf("set format = %q for [[source]] %s", other, in.src.Name)
	case other != "":
		h.Reason += "; they parse as " + other
		h.Fix = fmt.Sprintf("'ispacct ingest%s --format %s %s' loads it", in.opt.CommandFlags, other, shellQuote(path))
	default:
		h.Fix = fmt.Sprintf("'ispacct parse%s --format FORMAT %s' shows how it reads in another format", in.opt.CommandFlags, shellQuote(path))
	}
	return &h
}
