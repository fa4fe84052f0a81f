package rollup

import "encoding/binary"

// clientSet counts distinct inet values as count(DISTINCT) does: two are
// equal when family, prefix length and address are, which is when their
// binary forms are (family, bits, is_cidr, length, address). NULLs are
// not counted.
type clientSet struct {
	v4    map[uint32]struct{}   // IPv4 host addresses (/32), nearly all
	other map[[20]byte]struct{} // the rest, by their binary form
}

func (s *clientSet) add(f []byte) error {
	if f == nil {
		return nil
	}
	if len(f) == 8 && f[0] == 2 && f[1] == 32 && f[2] == 0 && f[3] == 4 {
		if s.v4 == nil {
			s.v4 = make(map[uint32]struct{})
		}
		s.v4[binary.BigEndian.Uint32(f[4:])] = struct{}{}
		return nil
	}
	if len(f) < 4 || len(f) > 20 || int(f[3]) != len(f)-4 {
		return errCopyFormat
	}
	var k [20]byte
	copy(k[:], f)
	if s.other == nil {
		s.other = make(map[[20]byte]struct{})
	}
	s.other[k] = struct{}{}
	return nil
}

func (s *clientSet) len() int64 { return int64(len(s.v4) + len(s.other)) }
