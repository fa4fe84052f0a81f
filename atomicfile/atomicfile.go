// Package atomicfile writes files so that a reader never sees a half-written one.
package atomicfile

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Write writes a file so that a crash never leaves a half-written
// one where a good one is expected: it writes a temporary file beside the
// target, syncs it, renames it over the target and syncs the folder. The
// file gets perm's mode and group, and so do the folders made for it. On
// any error the temporary file is removed; what a killed run left is
// removed by the next write to the folder (Sweep).
func Write(path string, perm Perm, write func(w io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	if err := perm.MkdirAll(dir); err != nil {
		return fmt.Errorf("write %q: %w", path, err)
	}
	// What killed runs left here goes first; a failing sweep must not stop
	// the write.
	Sweep(dir)
	f, err := os.CreateTemp(dir, tempPattern(filepath.Base(path)))
	if err != nil {
		return fmt.Errorf("write %q: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := write(f); err != nil {
		return fmt.Errorf("write %q: %w", path, err)
	}
	if err := perm.apply(f); err != nil {
		return fmt.Errorf("write %q: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("write %q: sync: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %q: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("write %q: %w", path, err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("write %q: sync folder: %w", path, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("write %q: sync folder: %w", path, err)
	}
	return nil
}

// WriteSum is Write that also returns the size and the sha256
// (hex) of what write wrote, as the archive and its encrypted copy report
// them.
func WriteSum(path string, perm Perm, write func(w io.Writer) error) (size int64, sha string, err error) {
	h := sha256.New()
	err = Write(path, perm, func(w io.Writer) error {
		cw := &countWriter{w: io.MultiWriter(w, h)}
		err := write(cw)
		size = cw.n
		return err
	})
	if err != nil {
		return 0, "", err
	}
	return size, hex.EncodeToString(h.Sum(nil)), nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}
