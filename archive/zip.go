package archive

import (
	"fmt"
	"io"
	"time"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/zip"
)

// Zip writes a reproducible zip archive: entries in the order they are
// added, each stamped with the period's time rather than the wall clock,
// one fixed compression level. The same entries give the same bytes.
type Zip struct {
	zw       *zip.Writer
	modified time.Time
}

// NewZip starts an archive whose entries carry the time stamp modified.
func NewZip(w io.Writer, modified time.Time) *Zip {
	zw := zip.NewWriter(w)
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, flate.DefaultCompression)
	})
	return &Zip{zw: zw, modified: modified}
}

// Create adds an entry and returns the writer for its content, valid until
// the next Create or Close.
func (z *Zip) Create(name string) (io.Writer, error) {
	w, err := z.zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: z.modified})
	if err != nil {
		return nil, fmt.Errorf("zip entry %s: %w", name, err)
	}
	return w, nil
}

// CreateStored adds an entry stored without compression, for content that
// is compressed already.
func (z *Zip) CreateStored(name string) (io.Writer, error) {
	w, err := z.zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store, Modified: z.modified})
	if err != nil {
		return nil, fmt.Errorf("zip entry %s: %w", name, err)
	}
	return w, nil
}

// Close writes the archive's directory.
func (z *Zip) Close() error { return z.zw.Close() }
