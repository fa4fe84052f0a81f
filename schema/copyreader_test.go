package schema

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestCopyReaderAnyChunks: a binary COPY stream decodes the same whatever
// pieces it arrives in, NULL apart from the empty text, and a cut stream is an error.
func TestCopyReaderAnyChunks(t *testing.T) {
	var b CopyBuffer
	b.Reset()
	var want []string
	for i := 0; i < 200; i++ {
		b.Row(3)
		b.String(strings.Repeat("x", i%7))
		if i%3 == 0 {
			b.Null()
		} else {
			b.String(fmt.Sprint(i))
		}
		b.Int64(int64(i))
		want = append(want, fmt.Sprintf("%q %v %d", strings.Repeat("x", i%7), i%3 == 0, i))
	}
	data := b.Finish()
	r := rand.New(rand.NewPCG(1, 1))
	for _, maxChunk := range []int{1, 2, 7, 100, len(data)} {
		var got []string
		c := NewCopyReader(3, func(f [][]byte) error {
			if len(f[2]) != 8 || f[0] == nil {
				return ErrCopyFormat
			}
			got = append(got, fmt.Sprintf("%q %v %d", f[0], f[1] == nil, int64(binary.BigEndian.Uint64(f[2]))))
			return nil
		})
		for rest := data; len(rest) > 0; {
			n := min(1+r.IntN(maxChunk), len(rest))
			if _, err := c.Write(rest[:n]); err != nil {
				t.Fatalf("chunks up to %d: %v", maxChunk, err)
			}
			rest = rest[n:]
		}
		if err := c.Finish(); err != nil {
			t.Fatalf("chunks up to %d: %v", maxChunk, err)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("chunks up to %d: got %v", maxChunk, got)
		}
	}
	c := NewCopyReader(3, func([][]byte) error { return nil })
	c.Write(data[:len(data)-5])
	if c.Finish() == nil {
		t.Fatal("a cut stream decoded without an error")
	}
	if _, err := NewCopyReader(2, func([][]byte) error { return nil }).Write(data); err == nil {
		t.Fatal("rows of 3 fields decoded as rows of 2")
	}
}

// FuzzCopyReader: any bytes, in any two pieces, decode or fail without a
// panic; three text fields made of the input, encoded, decode to
// themselves whatever the cut.
func FuzzCopyReader(f *testing.F) {
	f.Add([]byte("PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00\x01a\xff\xff\xff\xff\x00\x00\x00\x00\xff\xff"), uint16(5))
	f.Add([]byte("host|url|"), uint16(3))
	f.Fuzz(func(t *testing.T, data []byte, cut uint16) {
		write := func(c *CopyReader, b []byte) error {
			k := int(cut) % (len(b) + 1)
			if _, err := c.Write(b[:k]); err != nil {
				return err
			}
			_, err := c.Write(b[k:])
			return err
		}
		c := NewCopyReader(3, func(fs [][]byte) error {
			if len(fs) != 3 {
				t.Fatalf("%d fields", len(fs))
			}
			return nil
		})
		if write(c, data) == nil {
			c.Finish()
		}
		parts := strings.SplitN(string(data), "|", 3)
		for len(parts) < 3 {
			parts = append(parts, "")
		}
		var b CopyBuffer
		b.Reset()
		b.Row(3)
		for _, p := range parts {
			b.String(p)
		}
		var got []string
		c = NewCopyReader(3, func(fs [][]byte) error {
			for _, x := range fs {
				got = append(got, string(x))
			}
			return nil
		})
		if err := write(c, b.Finish()); err != nil {
			t.Fatal(err)
		}
		if err := c.Finish(); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != fmt.Sprint(parts) {
			t.Fatalf("%q decoded as %q", parts, got)
		}
	})
}
