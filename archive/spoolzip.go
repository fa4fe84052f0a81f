package archive

import (
	"bytes"
	"errors"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"time"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/zip"
)

// spoolZip is the zip writer the workbook library writes through. It
// compresses each entry into a temporary file as it comes and, on Close,
// writes the entries sorted by name to the real output. Two things follow:
// the output does not depend on the order the library emits entries in
// (with several streamed sheets that order is random), and memory does not
// grow with the workbook, which the library would otherwise assemble in a
// buffer in memory.
type spoolZip struct {
	out     *zip.Writer
	dir     string
	stamp   time.Time
	entries []spooled
	cur     *spoolEntry
	types   *bytes.Buffer      // [Content_Types].xml, put in order before it is spooled
	replace map[string]spooled // parts written ahead, by name
}

// contentTypes lists its default types in the order of a map walk in the
// library; sorted, it is the same on every run.
const contentTypes = "[Content_Types].xml"

var typeElem = regexp.MustCompile(`<(Default|Override) [^>]*(?:/>|></(?:Default|Override)>)`)

// sortContentTypes puts the elements in order; what stands between them
// stays where it is.
func sortContentTypes(b []byte) []byte {
	locs := typeElem.FindAllIndex(b, -1)
	elems := make([][]byte, len(locs))
	for i, l := range locs {
		elems[i] = b[l[0]:l[1]]
	}
	sort.Slice(elems, func(i, j int) bool { return bytes.Compare(elems[i], elems[j]) < 0 })
	var out bytes.Buffer
	prev := 0
	for i, l := range locs {
		out.Write(b[prev:l[0]])
		out.Write(elems[i])
		prev = l[1]
	}
	out.Write(b[prev:])
	return out.Bytes()
}

type spooled struct {
	name        string
	path        string
	crc32       uint32
	size, csize uint64
}

type spoolEntry struct {
	spooled
	f   *os.File
	fw  *flate.Writer
	crc hashWriter
	cnt countingWriter
}

type hashWriter struct{ h uint32 }

func (h *hashWriter) Write(p []byte) (int, error) {
	h.h = crc32.Update(h.h, crc32.IEEETable, p)
	return len(p), nil
}

type countingWriter struct {
	w io.Writer
	n uint64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += uint64(n)
	return n, err
}

func newSpoolZip(out io.Writer, tmpDir string, stamp time.Time, replace map[string]spooled) *spoolZip {
	return &spoolZip{out: zip.NewWriter(out), dir: tmpDir, stamp: stamp, replace: replace}
}

func (z *spoolZip) Create(name string) (io.Writer, error) {
	if err := z.finish(); err != nil {
		return nil, err
	}
	if name == contentTypes {
		z.types = &bytes.Buffer{}
		return z.types, nil
	}
	if e, ok := z.replace[name]; ok {
		// A part written ahead of the library (a raw sheet): the library's
		// empty version of it is thrown away.
		z.entries = append(z.entries, e)
		delete(z.replace, name)
		return io.Discard, nil
	}
	e, w, err := newSpoolEntry(z.dir, name)
	if err != nil {
		return nil, err
	}
	z.cur = e
	return w, nil
}

// newSpoolEntry starts a part compressed into a temporary file.
func newSpoolEntry(dir, name string) (*spoolEntry, io.Writer, error) {
	f, err := os.CreateTemp(dir, "ispacct-xlsx-*")
	if err != nil {
		return nil, nil, err
	}
	e := &spoolEntry{spooled: spooled{name: name, path: f.Name()}, f: f}
	e.cnt.w = f
	if e.fw, err = flate.NewWriter(&e.cnt, flate.DefaultCompression); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, nil, err
	}
	return e, io.MultiWriter(e.fw, &e.crc, (*sizeWriter)(&e.size)), nil
}

// close ends a spooled part and returns what the zip needs to copy it.
func (e *spoolEntry) close() (spooled, error) {
	err := e.fw.Close()
	if cerr := e.f.Close(); err == nil {
		err = cerr
	}
	e.crc32, e.csize = e.crc.h, e.cnt.n
	return e.spooled, err
}

type sizeWriter uint64

func (s *sizeWriter) Write(p []byte) (int, error) { *s += sizeWriter(len(p)); return len(p), nil }

func (z *spoolZip) finish() error {
	if t := z.types; t != nil {
		z.types = nil
		e, w, err := newSpoolEntry(z.dir, contentTypes)
		if err != nil {
			return err
		}
		if _, err := w.Write(sortContentTypes(t.Bytes())); err != nil {
			return err
		}
		sp, err := e.close()
		z.entries = append(z.entries, sp)
		if err != nil {
			return err
		}
	}
	e := z.cur
	if e == nil {
		return nil
	}
	z.cur = nil
	sp, err := e.close()
	z.entries = append(z.entries, sp)
	return err
}

func (z *spoolZip) AddFS(fs.FS) error { return errors.New("spool zip: AddFS is not supported") }

// Close writes the spooled entries, sorted by name, and removes them.
func (z *spoolZip) Close() error {
	defer func() {
		for _, e := range z.entries {
			os.Remove(e.path)
		}
		for _, e := range z.replace {
			os.Remove(e.path)
		}
	}()
	if err := z.finish(); err != nil {
		return err
	}
	sort.Slice(z.entries, func(i, j int) bool { return z.entries[i].name < z.entries[j].name })
	for _, e := range z.entries {
		w, err := z.out.CreateRaw(&zip.FileHeader{Name: e.name, Method: zip.Deflate, Modified: z.stamp,
			CRC32: e.crc32, CompressedSize64: e.csize, UncompressedSize64: e.size})
		if err != nil {
			return err
		}
		f, err := os.Open(e.path)
		if err != nil {
			return err
		}
		_, err = io.Copy(w, f)
		f.Close()
		if err != nil {
			return err
		}
	}
	return z.out.Close()
}

// prependDeflate puts head in front of a spooled part. A deflate stream
// may be followed by another once it ends in a sync flush rather than a
// final block, so head is compressed on its own and the part's compressed
// bytes are copied after it, never decompressed: this is how a sheet's
// start, which names the rows counted only at its end, comes first.
func prependDeflate(sp spooled, head []byte) (spooled, error) {
	body, err := os.Open(sp.path)
	if err != nil {
		return sp, err
	}
	defer body.Close()
	f, err := os.CreateTemp(filepath.Dir(sp.path), "ispacct-xlsx-*")
	if err != nil {
		return sp, err
	}
	out := spooled{name: sp.name, path: f.Name()}
	cnt := countingWriter{w: f}
	err = func() error {
		fw, err := flate.NewWriter(&cnt, flate.DefaultCompression)
		if err != nil {
			return err
		}
		if _, err := fw.Write(head); err != nil {
			return err
		}
		if err := fw.Flush(); err != nil {
			return err
		}
		if _, err := io.Copy(&cnt, body); err != nil {
			return err
		}
		return f.Close()
	}()
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return sp, err
	}
	os.Remove(sp.path)
	out.crc32 = crc32Combine(crc32.ChecksumIEEE(head), sp.crc32, sp.size)
	out.size = uint64(len(head)) + sp.size
	out.csize = cnt.n
	return out, nil
}

// crc32Combine is the CRC-32 (IEEE) of a followed by b, given a's CRC, b's
// CRC and b's length: zlib's crc32_combine, which appends len zero bits to
// a's CRC by squaring the operator for one zero bit in GF(2).
func crc32Combine(crcA, crcB uint32, lenB uint64) uint32 {
	if lenB == 0 {
		return crcA
	}
	var even, odd [32]uint32
	odd[0] = crc32.IEEE // the operator for one zero bit
	for n, row := 1, uint32(1); n < 32; n, row = n+1, row<<1 {
		odd[n] = row
	}
	gf2Square(&even, &odd) // two zero bits
	gf2Square(&odd, &even) // four zero bits
	for {
		gf2Square(&even, &odd) // one zero byte, then 4, 16 …
		if lenB&1 != 0 {
			crcA = gf2Times(&even, crcA)
		}
		if lenB >>= 1; lenB == 0 {
			break
		}
		gf2Square(&odd, &even)
		if lenB&1 != 0 {
			crcA = gf2Times(&odd, crcA)
		}
		if lenB >>= 1; lenB == 0 {
			break
		}
	}
	return crcA ^ crcB
}

func gf2Times(mat *[32]uint32, vec uint32) uint32 {
	var sum uint32
	for i := 0; vec != 0; i, vec = i+1, vec>>1 {
		if vec&1 != 0 {
			sum ^= mat[i]
		}
	}
	return sum
}

func gf2Square(square, mat *[32]uint32) {
	for n := range 32 {
		square[n] = gf2Times(mat, mat[n])
	}
}
