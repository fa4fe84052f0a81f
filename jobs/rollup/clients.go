package rollup

import (
	"encoding/binary"
	"slices"

	"github.com/ispacct/ispacct/schema"
)

// clientSet counts distinct inet values as count(DISTINCT) does: two are
// equal when family, prefix length and address are, which is when their
// binary forms are (family, bits, is_cidr, length, address). NULLs are
// not counted.
//
// IPv4 host addresses, nearly all of them, are appended to a slice that is
// radix sorted and made unique whenever it fills: a hash set of a busy
// web server's day (hundreds of thousands of clients) misses the CPU cache
// on every row.
type clientSet struct {
	v4      []uint32
	scratch []uint32
	other   map[[20]byte]struct{} // the rest, by their binary form
}

// minCompact is the smallest slice worth sorting before it grows.
const minCompact = 1 << 16

func (s *clientSet) add(f []byte) error {
	if f == nil {
		return nil
	}
	if len(f) == 8 && f[0] == 2 && f[1] == 32 && f[2] == 0 && f[3] == 4 {
		if len(s.v4) == cap(s.v4) && len(s.v4) >= minCompact {
			s.compact()
			// Room for at least as many again before the next sort.
			s.v4 = slices.Grow(s.v4, len(s.v4))
		}
		s.v4 = append(s.v4, binary.BigEndian.Uint32(f[4:]))
		return nil
	}
	if len(f) < 4 || len(f) > 20 || int(f[3]) != len(f)-4 {
		return schema.ErrCopyFormat
	}
	var k [20]byte
	copy(k[:], f)
	if s.other == nil {
		s.other = make(map[[20]byte]struct{})
	}
	s.other[k] = struct{}{}
	return nil
}

// compact sorts v4 and drops its repeats.
func (s *clientSet) compact() {
	if len(s.v4) < 2 {
		return
	}
	if cap(s.scratch) < len(s.v4) {
		s.scratch = make([]uint32, len(s.v4))
	}
	src, dst := s.v4, s.scratch[:len(s.v4)]
	for shift := 0; shift < 32; shift += 8 {
		var count [256]int
		for _, v := range src {
			count[v>>shift&0xff]++
		}
		if count[src[0]>>shift&0xff] == len(src) {
			continue // one value of this byte: already in order by it
		}
		pos := 0
		for i, c := range count {
			count[i] = pos
			pos += c
		}
		for _, v := range src {
			b := v >> shift & 0xff
			dst[count[b]] = v
			count[b]++
		}
		src, dst = dst, src
	}
	n := 1
	for _, v := range src[1:] {
		if v != src[n-1] {
			src[n] = v
			n++
		}
	}
	// Keep the sorted values in v4, whichever buffer holds them.
	s.v4, s.scratch = src[:n], dst[:cap(dst)]
}

func (s *clientSet) len() int64 {
	s.compact()
	return int64(len(s.v4) + len(s.other))
}
