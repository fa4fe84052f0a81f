package ingest

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
)

// fingerprintLen bounds how much of the first line identifies a file.
const fingerprintLen = 4096

// errNoFirstLine: the file has no complete first line yet; it is left for
// a later run.
var errNoFirstLine = errors.New("no complete first line yet")

// fingerprint identifies a log file by its first line (at most 4 KiB) and
// the vhost its source names, read through r without consuming it. The
// first line carries a timestamp to the second or better, so two different
// files of one source do not share it, while a file renamed or compressed
// by logrotate keeps it. copytruncate starts the file over with a new
// first line, so it becomes a new file, as it should.
func fingerprint(r *bufio.Reader, vhost string) ([]byte, error) {
	head, err := r.Peek(fingerprintLen)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, err
	}
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		head = head[:i+1]
	} else if len(head) < fingerprintLen {
		return nil, errNoFirstLine
	}
	h := sha256.New()
	if vhost != "" {
		h.Write([]byte("vhost " + vhost + "\n"))
	}
	h.Write(head)
	return h.Sum(nil), nil
}
