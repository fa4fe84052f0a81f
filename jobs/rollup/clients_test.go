package rollup

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"
)

// TestClientSetCounts: the sorted slice counts as a map does, across
// many compactions, for sets small and large.
func TestClientSetCounts(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct{ rows, spread int }{{0, 1}, {1, 1}, {1000, 3}, {300000, 50}, {300000, 1 << 20}, {300000, 1 << 31}} {
		var s clientSet
		want := map[[20]byte]bool{}
		for i := 0; i < c.rows; i++ {
			f := []byte{2, 32, 0, 4, 0, 0, 0, 0}
			if r.IntN(100) == 0 { // another prefix length: another value
				f[1] = 24
			}
			binary.BigEndian.PutUint32(f[4:], uint32(r.IntN(c.spread))*0x01010101)
			if err := s.add(f); err != nil {
				t.Fatal(err)
			}
			var k [20]byte
			copy(k[:], f)
			want[k] = true
		}
		s.add(nil) // NULL: not counted
		if got := s.len(); got != int64(len(want)) {
			t.Errorf("%d rows over %d: %d distinct, want %d", c.rows, c.spread, got, len(want))
		}
	}
}
