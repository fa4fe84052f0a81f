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

// proxyReference is the SQL that computed the proxy aggregates before they
// were summed in Go: the definition they must keep to.
var proxyReference = []string{
	`DELETE FROM agg_proxy_lan WHERE day = $1`,
	`INSERT INTO agg_proxy_lan
SELECT $1::date, lan_name,
       count(*), coalesce(sum(size), 0),
       count(*) FILTER (WHERE hit), coalesce(sum(size) FILTER (WHERE hit), 0),
       count(*) FILTER (WHERE miss), coalesce(sum(size) FILTER (WHERE miss), 0),
       count(*) FILTER (WHERE denied),
       count(DISTINCT ip_client),
       coalesce(sum(size) FILTER (WHERE class = '2'), 0),
       coalesce(sum(size) FILTER (WHERE class = '3'), 0),
       coalesce(sum(size) FILTER (WHERE class = '4'), 0),
       coalesce(sum(size) FILTER (WHERE class = '5'), 0),
       coalesce(sum(size) FILTER (WHERE class NOT IN ('2', '3', '4', '5')), 0)
FROM (
    SELECT lan_name, ip_client, size,
           (status LIKE '%HIT%' OR status LIKE 'TCP_REFRESH_UNMODIFIED%') AS hit,
           (status LIKE '%MISS%' OR status LIKE 'TCP_REFRESH_MODIFIED%') AS miss,
           status LIKE '%DENIED%' AS denied,
           left(split_part(status, '/', 2), 1) AS class
    FROM {{day_rows}} WHERE zeit >= $2 AND zeit < $3
) p
GROUP BY lan_name`,
	`DELETE FROM agg_proxy_site WHERE day = $1`,
	`INSERT INTO agg_proxy_site
SELECT $1::date, lan_name, host, count(*), coalesce(sum(size), 0)
FROM (
    SELECT lan_name, size, lower(CASE
        WHEN url ~ '^[A-Za-z][A-Za-z0-9+.-]*://' THEN
            coalesce(substring(url FROM '^[A-Za-z][A-Za-z0-9+.-]*://(?:[^/?#@]*@)?(\[[^]/]*\]|[^/?#:]*)'), '')
        WHEN url LIKE '[%' THEN coalesce(substring(url FROM '^(\[[^]]*\])'), url)
        ELSE split_part(url, ':', 1)
    END) AS host
    FROM {{day_rows}} WHERE zeit >= $2 AND zeit < $3
) p
GROUP BY lan_name, host`,
}

var proxyAggs = []string{"agg_proxy_lan", "agg_proxy_site"}

var proxyLoadCols = []string{"lan_name", "ip_client", "url", "zeit", "size", "status"}

// Pieces of adversarial proxy rows.
var (
	proxyStatuses = []string{"", "TCP_HIT", "X/", "/2", "TCP_MISS/2ä", "TCP_MISS/200", "TCP_HIT/304", "TCP_MEM_HIT/200",
		"TCP_REFRESH_UNMODIFIED/304", "TCP_REFRESH_UNMODIFIED", "TCPxREFRESHyUNMODIFIED/304", "TCPäREFRESH€UNMODIFIED/2",
		"TCP_REFRESH_UNMODIFIE", "tcp_refresh_unmodified/304", "TCP_REFRESH_MODIFIED/200", "TCP-REFRESH-MODIFIED/3",
		"TCP__REFRESH_MODIFIED/2", "xTCP_REFRESH_MODIFIED/2", "TCP_DENIED/403", "TCP_DENIED_HIT_MISS/1", "NONE_NONE/000",
		"TCP_MISS/404", "TCP_MISS/503", "TCP_MISS/5", "x/6", "a//2", "a/ä", "a/€5", "hit/200", "MISS", "HI", "DENIE",
		"TCP_TUNNEL/200", "/", "//", "/3/4", "ä/4", "TCP_HIT/ 2", "TCP_MISS/\n2"}
	proxySchemes = []string{"", "http://", "HTTP://", "https://", "a+b.c-d://", "A9://", "1http://", "ht_tp://", "h://",
		"http:/", "http:", "ä://", "http:://", " http://", "ftp://"}
	proxyUsers = []string{"", "user@", "u:p@", "a@b@", "@", "[x@", "ü@", "a/b@", "u?@", "[a@b]@"}
	proxyHosts = []string{"example.com", "EXAMPLE.com", "Example.COM", "[::1]", "[2001:DB8::1]", "[v6", "[a/b]", "[a]b", "[]",
		"ÄÖÜ.example", "äöü.example", "ΣΑΣ.example", "İSTANBUL.example", "ǅ.example", "xn--bcher-kva.example", "", "host]x",
		"[a:b]x", "a%20b", "a b", "[a@b:c]", "1.2.3.4", "[fe80::1%eth0]"}
	proxyPorts = []string{"", ":8080", ":", ":abc", ":443"}
	proxyPaths = []string{"", "/", "/p?q", "?q", "#f", "/a@b", "/x:y", "/[", "\n", "/ä", "?a=b@c", "#@"}
	proxyURLs  = []string{"error:invalid-request", "", "[", "[]", "[::1]:443", "[::1", "[::1]", "cdn.example:443",
		"CDN.Example:443", "a:b:c", "ÄBC:1", "İstanbul.example:443", ":", "::", "noport", "[x]:y:z", "[a/b]:1",
		"http://", "http://@", "http://@:", "HTTP://[::1]:80/", "http://u@[::1]:80/", "http://[::1/x]", "http://[a]b@c/",
		"http://a@[b]c/", "http://a:b@c@d/", "http://?x", "http://#x", "x://y:z@", "[A]", "[Ä]x"}
	proxyLANs = []string{"lan-a", "LAN-A", "ä-netz", "x y", "lan:b", "lan/c", "0"}
	proxyIPs  = []string{"10.0.0.1", "10.0.0.2", "10.0.0.1/8", "10.0.0.0/8", "192.168.1.1", "2001:db8::1", "2001:db8::1/64",
		"::ffff:10.0.0.1", "::", "0.0.0.0", "255.255.255.255", "fe80::1"}
	proxySizes = []int64{0, 1, 2, 100, 1500, 65535, 1 << 31, 1 << 40, 1<<50 + 7}
)

// proxyURL is a random URL made of the pieces, or a whole odd one.
func proxyURL(r *rand.Rand) *string {
	switch r.IntN(10) {
	case 0:
		return nil
	case 1, 2:
		return str(pick(r, proxyURLs))
	}
	return str(pick(r, proxySchemes) + pick(r, proxyUsers) + pick(r, proxyHosts) + pick(r, proxyPorts) + pick(r, proxyPaths))
}

// proxyRows are hand-picked rows, every odd URL and status on its own,
// and n random combinations; empty is the LAN name of the row with none
// (NULL, or the empty text), as a day cannot have both (they share a key).
func proxyRows(r *rand.Rand, n int, empty *string, nullURL bool) [][]any {
	var rows [][]any
	row := func(lan *string, ip string, url *string, size int64, status *string) {
		rows = append(rows, []any{lan, netip.MustParsePrefix(withBits(ip)), url, within(r), size, status})
	}
	for _, s := range proxyStatuses {
		row(empty, "10.0.0.1", str("http://example.com/"), 1000, str(s))
	}
	row(empty, "10.0.0.1", str("http://example.com/"), 1000, nil)
	for _, u := range proxyURLs {
		row(str("lan-a"), "10.0.0.2", str(u), 10, str("TCP_MISS/200"))
	}
	for _, s := range proxySchemes {
		for _, u := range proxyUsers {
			for _, h := range proxyHosts {
				row(str("lan-b"), "10.0.0.3", str(s+u+h+pick(r, proxyPorts)+pick(r, proxyPaths)), 1, str("TCP_HIT/200"))
			}
		}
	}
	for i := 0; i < n; i++ {
		lan := empty
		if r.IntN(3) > 0 {
			lan = str(pick(r, proxyLANs))
		}
		var status *string
		if r.IntN(8) > 0 {
			status = str(pick(r, proxyStatuses))
		}
		url := proxyURL(r)
		for url == nil && !nullURL {
			url = proxyURL(r)
		}
		size := pick(r, proxySizes)
		if r.IntN(2) == 0 {
			size = r.Int64N(1 << 20)
		}
		row(lan, pick(r, proxyIPs), url, size, status)
	}
	return rows
}

// withBits gives an address its full prefix length.
func withBits(ip string) string {
	if _, err := netip.ParsePrefix(ip); err == nil {
		return ip
	}
	a := netip.MustParseAddr(ip)
	return netip.PrefixFrom(a, a.BitLen()).String()
}

// TestProxySameAsSQL: the proxy aggregates summed in Go are the rows the
// SQL gave, on thousands of adversarial rows.
func TestProxySameAsSQL(t *testing.T) {
	db := pgtest.New(t)
	for _, c := range []struct {
		name  string
		seed  uint64
		empty *string
	}{
		{"unassigned LAN NULL", 1, nil},
		{"LAN named ''", 2, str("")},
	} {
		t.Run(c.name, func(t *testing.T) {
			loadRows(t, db, "proxy", proxyLoadCols, proxyRows(rand.New(rand.NewPCG(c.seed, 9)), 6000, c.empty, false))
			if err := sameAsReference(t, db, "proxy", proxyReference, proxyAggs...); err != nil {
				t.Fatalf("the reference failed: %v", err)
			}
		})
	}
}

// TestProxyFailsAsSQL: where the SQL failed, the Go fails too and changes
// nothing; sums that overflow on the way but not in the end are right.
func TestProxyFailsAsSQL(t *testing.T) {
	db := pgtest.New(t)
	rows := func(lans []*string, urls []*string, sizes []int64) [][]any {
		var out [][]any
		for i, size := range sizes {
			out = append(out, []any{lans[i%len(lans)], netip.MustParsePrefix("10.0.0.1/32"), urls[i%len(urls)], diffDay.Add(time.Hour), size, str("TCP_HIT/200")})
		}
		return out
	}
	url := []*string{str("http://example.com/")}
	for _, c := range []struct {
		name string
		rows [][]any
		fail string // what the reference fails with; "" for none
	}{
		// host is NOT NULL in agg_proxy_site.
		{"url NULL", rows([]*string{nil}, []*string{str("http://a/"), nil}, []int64{1, 2, 3}), "null value"},
		// They share a key: coalesce(lan_name, '').
		{"LAN NULL and ''", rows([]*string{nil, str("")}, url, []int64{1, 2}), "duplicate key"},
		{"bytes over bigint", rows([]*string{str("a")}, url, []int64{math.MaxInt64, 1}), "out of range"},
		{"bytes under bigint", rows([]*string{str("a")}, url, []int64{math.MinInt64, -1}), "out of range"},
		{"over on the way, not in the end", rows([]*string{str("a")}, url, []int64{math.MaxInt64, math.MaxInt64, -math.MaxInt64, math.MinInt64, math.MaxInt64}), ""},
		{"a random day with a NULL url", proxyRows(rand.New(rand.NewPCG(3, 9)), 500, nil, true), "null value"},
	} {
		t.Run(c.name, func(t *testing.T) {
			loadRows(t, db, "proxy", proxyLoadCols, c.rows)
			err := sameAsReference(t, db, "proxy", proxyReference, proxyAggs...)
			if got := fmt.Sprint(err); c.fail == "" && err != nil || c.fail != "" && !strings.Contains(got, c.fail) {
				t.Fatalf("the reference gave %v, want %q", err, c.fail)
			}
		})
	}
}
