package rollup

import (
	"encoding/binary"
	"fmt"
	"testing"
)

// TestMailSummerBound: past maxMailRecs rows the summer holds nothing and
// leaves the day to sql/mail.sql.
func TestMailSummerBound(t *testing.T) {
	defer SetMaxMailRecs(10)()
	m := newMailSummer().(*mailSummer)
	size := binary.BigEndian.AppendUint64(nil, 100)
	for i := range 11 {
		if m.over {
			t.Fatalf("over after %d rows", i)
		}
		f := [][]byte{[]byte(fmt.Sprintf("Q%d", i)), nil, []byte("a@example.com"), nil, size, []byte("sent"), []byte("smtp")}
		if err := m.row(f); err != nil {
			t.Fatal(err)
		}
	}
	if !m.over || m.recs != nil || m.msgs.ids != nil || m.addrs.list != nil {
		t.Fatalf("11 rows over a bound of 10: over %v, %d rows and %d messages held", m.over, len(m.recs), len(m.msgs.ids))
	}
}
