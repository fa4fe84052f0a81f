package rollup

import (
	"fmt"
	"math"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/ispacct/ispacct/schema/pgtest"
)

// httpReference is the SQL that computed the web server's aggregates
// before they were summed in Go: the definition they must keep to.
var httpReference = []string{
	`DELETE FROM agg_http_vhost WHERE day = $1`,
	`INSERT INTO agg_http_vhost
SELECT $1::date, url, count(*), coalesce(sum(size), 0), count(DISTINCT ip), count(*) FILTER (WHERE status >= 400)
FROM {{day_rows}} WHERE zeit >= $2 AND zeit < $3
GROUP BY url`,
	`DELETE FROM agg_http_user WHERE day = $1`,
	`INSERT INTO agg_http_user
SELECT $1::date, url, htuser, count(*), coalesce(sum(size), 0)
FROM {{day_rows}} WHERE zeit >= $2 AND zeit < $3 AND htuser IS NOT NULL
GROUP BY url, htuser`,
}

var httpAggs = []string{"agg_http_vhost", "agg_http_user"}

var httpLoadCols = []string{"ip", "url", "zeit", "size", "htuser", "status"}

var (
	httpVhosts   = []string{"www.example.com", "WWW.example.com", "", "ä.example", "shop.example:8080", " ", "x\ny"}
	httpUsers    = []string{"", "anna", "Anna", "bob", "ü", " ", "a b"}
	httpStatuses = []int16{0, 1, 200, 304, 399, 400, 404, 499, 500, 599, 999, -1, math.MaxInt16, math.MinInt16}
	httpIPs      = []string{"10.0.0.1", "10.0.0.2", "10.0.0.1/8", "10.0.0.0/8", "2001:db8::1", "2001:db8::1/64", "::ffff:10.0.0.1", "::", "0.0.0.0"}
)

// httpRows are n random rows of the pieces: NULL client addresses (logged
// by name), users and statuses among them.
func httpRows(r *rand.Rand, n int, nullURL bool) [][]any {
	var rows [][]any
	for i := 0; i < n; i++ {
		var ip *netip.Prefix
		if r.IntN(5) > 0 {
			p := netip.MustParsePrefix(withBits(pick(r, httpIPs)))
			ip = &p
		}
		url := str(pick(r, httpVhosts))
		if nullURL && r.IntN(20) == 0 {
			url = nil
		}
		var user *string
		if r.IntN(3) > 0 {
			user = str(pick(r, httpUsers))
		}
		var status *int16
		if r.IntN(8) > 0 {
			s := pick(r, httpStatuses)
			status = &s
		}
		size := pick(r, proxySizes)
		if r.IntN(2) == 0 {
			size = r.Int64N(1 << 20)
		}
		rows = append(rows, []any{ip, url, within(r), size, user, status})
	}
	return rows
}

// TestHTTPSameAsSQL: the web server's aggregates summed in Go are the rows
// the SQL gave, on thousands of adversarial rows.
func TestHTTPSameAsSQL(t *testing.T) {
	db := pgtest.New(t)
	loadRows(t, db, "http", httpLoadCols, httpRows(rand.New(rand.NewPCG(1, 9)), 6000, false))
	if err := sameAsReference(t, db, "http", httpReference, httpAggs...); err != nil {
		t.Fatalf("the reference failed: %v", err)
	}
}

// TestHTTPFailsAsSQL: where the SQL failed, the Go fails too and changes
// nothing; sums that overflow on the way but not in the end are right.
func TestHTTPFailsAsSQL(t *testing.T) {
	db := pgtest.New(t)
	rows := func(url *string, sizes ...int64) [][]any {
		var out [][]any
		for _, size := range sizes {
			out = append(out, []any{netip.MustParsePrefix("10.0.0.1/32"), url, diffDay.Add(time.Hour), size, str("anna"), int16(200)})
		}
		return out
	}
	for _, c := range []struct {
		name string
		rows [][]any
		fail string // what the reference fails with; "" for none
	}{
		// vhost is NOT NULL: rows loaded without one.
		{"url NULL", rows(nil, 1, 2), "null value"},
		{"a random day with a NULL url", httpRows(rand.New(rand.NewPCG(2, 9)), 500, true), "null value"},
		{"bytes over bigint", rows(str("v"), math.MaxInt64, 1), "out of range"},
		{"over on the way, not in the end", rows(str("v"), math.MaxInt64, math.MaxInt64, math.MinInt64, -math.MaxInt64, math.MaxInt64), ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			loadRows(t, db, "http", httpLoadCols, c.rows)
			err := sameAsReference(t, db, "http", httpReference, httpAggs...)
			if got := fmt.Sprint(err); c.fail == "" && err != nil || c.fail != "" && !strings.Contains(got, c.fail) {
				t.Fatalf("the reference gave %v, want %q", err, c.fail)
			}
		})
	}
}
