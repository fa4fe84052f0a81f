package rollup

import (
	"encoding/binary"
	"errors"
	"math/bits"
	"time"

	"github.com/ispacct/ispacct/schema"
)

// sum128 adds bigints without overflow, as PostgreSQL's sum(bigint) does in
// numeric: only the total must fit the bigint column it goes to.
type sum128 struct {
	lo uint64
	hi int64
}

func (s *sum128) add(v int64) {
	lo, carry := bits.Add64(s.lo, uint64(v), 0)
	s.lo = lo
	s.hi += v>>63 + int64(carry)
}

func (s *sum128) merge(o sum128) {
	lo, carry := bits.Add64(s.lo, o.lo, 0)
	s.lo = lo
	s.hi += o.hi + int64(carry)
}

// errBigint is what PostgreSQL says when a sum does not fit its column.
var errBigint = errors.New("bigint out of range")

// int64 is the total, or errBigint where PostgreSQL would refuse it.
func (s sum128) int64() (int64, error) {
	v := int64(s.lo)
	if s.hi != v>>63 {
		return 0, errBigint
	}
	return v, nil
}

// int64s converts sums in order, stopping at the first that does not fit.
func int64s(dst []int64, sums ...sum128) ([]int64, error) {
	for _, s := range sums {
		v, err := s.int64()
		if err != nil {
			return nil, err
		}
		dst = append(dst, v)
	}
	return dst, nil
}

// bigint decodes a binary int8 field.
func bigint(f []byte) (int64, error) {
	if len(f) != 8 {
		return 0, schema.ErrCopyFormat
	}
	return int64(binary.BigEndian.Uint64(f)), nil
}

// pgDate is a day as PostgreSQL's binary date counts it: days since
// 2000-01-01.
func pgDate(day time.Time) int32 {
	d := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC)
	return int32(d.Sub(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)).Hours() / 24)
}
