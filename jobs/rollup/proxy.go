package rollup

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/ispacct/ispacct/schema"
)

// The proxy aggregates are summed in Go from one pass over the day's rows:
// PostgreSQL spent most of the time on a regular expression per row and on
// sorting for count(DISTINCT). Every figure below is defined as the SQL
// that computed it before (kept as the reference in proxy_diff_test.go),
// NULLs included.

var proxyCols = []string{"lan_name", "ip_client", "url", "size", "status"}

var proxyLANCols = []string{"day", "lan_name", "requests", "bytes", "hit_requests", "hit_bytes", "miss_requests", "miss_bytes",
	"denied_requests", "clients", "bytes_2xx", "bytes_3xx", "bytes_4xx", "bytes_5xx", "bytes_other"}

var proxySiteCols = []string{"day", "lan_name", "host", "requests", "bytes"}

// proxyLAN is one LAN's day.
type proxyLAN struct {
	name                              []byte // nil: NULL, the unassigned clients
	requests, hitReq, missReq, denied int64
	bytes, hitBytes, missBytes        sum128
	class                             [5]sum128 // 2xx, 3xx, 4xx, 5xx, other
	clients                           clientSet
	sites                             map[string]*proxySite // by host as extracted, not yet lowered
	nullSite                          *proxySite            // url NULL
}

type proxySite struct {
	requests int64
	bytes    sum128
}

// proxyAgg sums a day's proxy rows, by LAN.
type proxyAgg struct{ *groups[proxyLAN] }

func newProxyAgg() proxyAgg {
	return proxyAgg{newGroups(func(name []byte) *proxyLAN { return &proxyLAN{name: name, sites: map[string]*proxySite{}} })}
}

// row adds one row: lan_name, ip_client, url, size, status.
func (a proxyAgg) row(f [][]byte) error {
	size, err := bigint(f[3])
	if err != nil {
		return err
	}
	l := a.get(f[0])
	l.requests++
	l.bytes.add(size)
	if err := l.clients.add(f[1]); err != nil {
		return err
	}
	if status := f[4]; status != nil {
		// A NULL status is neither hit, miss nor denied, and in no
		// status class (NOT IN with NULL is NULL).
		if bytes.Contains(status, []byte("HIT")) || likePrefix(status, "TCP_REFRESH_UNMODIFIED") {
			l.hitReq++
			l.hitBytes.add(size)
		}
		if bytes.Contains(status, []byte("MISS")) || likePrefix(status, "TCP_REFRESH_MODIFIED") {
			l.missReq++
			l.missBytes.add(size)
		}
		if bytes.Contains(status, []byte("DENIED")) {
			l.denied++
		}
		l.class[statusClass(status)].add(size)
	}
	var s *proxySite
	if f[2] == nil {
		if l.nullSite == nil {
			l.nullSite = &proxySite{}
		}
		s = l.nullSite
	} else {
		h := proxyHost(f[2])
		if s = l.sites[string(h)]; s == nil {
			s = &proxySite{}
			l.sites[string(h)] = s
		}
	}
	s.requests++
	s.bytes.add(size)
	return nil
}

// likePrefix is status LIKE pattern || '%' for a pattern whose only
// wildcard is '_', one character (not byte) each.
func likePrefix(s []byte, pattern string) bool {
	for i := 0; i < len(pattern); i++ {
		if len(s) == 0 {
			return false
		}
		if pattern[i] == '_' {
			_, n := utf8.DecodeRune(s)
			s = s[n:]
			continue
		}
		if s[0] != pattern[i] {
			return false
		}
		s = s[1:]
	}
	return true
}

// statusClass is the bucket of left(split_part(status, '/', 2), 1): the
// first character after the first '/', '2' to '5', else (none, or any
// other) bucket 4, "other".
func statusClass(status []byte) int {
	i := bytes.IndexByte(status, '/')
	if i < 0 || i+1 >= len(status) {
		return 4
	}
	if c := status[i+1]; c >= '2' && c <= '5' {
		return int(c - '2')
	}
	return 4
}

// proxyHost is the destination host of a URL as the reference SQL's CASE
// gives it, before lower():
//
//	url ~ '^[A-Za-z][A-Za-z0-9+.-]*://' →
//	  substring(url FROM '^[A-Za-z][A-Za-z0-9+.-]*://(?:[^/?#@]*@)?(\[[^]/]*\]|[^/?#:]*)')
//	url LIKE '[%' → coalesce(substring(url FROM '^(\[[^]]*\])'), url)
//	else split_part(url, ':', 1)
//
// PostgreSQL's regular expressions take the longest overall match, then
// the longest optional user part that still reaches its end; the capture
// is the rest.
func proxyHost(url []byte) []byte {
	if p := schemeEnd(url); p >= 0 {
		r := url[p:]
		end := hostEnd(r) // without a user part
		if at := indexIn(r, &userStop); at >= 0 && r[at] == '@' {
			if e := at + 1 + hostEnd(r[at+1:]); e >= end {
				return r[at+1 : e]
			}
		}
		return r[:end]
	}
	if len(url) > 0 && url[0] == '[' {
		if i := bytes.IndexByte(url, ']'); i >= 0 {
			return url[:i+1]
		}
		return url
	}
	if i := bytes.IndexByte(url, ':'); i >= 0 {
		return url[:i]
	}
	return url
}

// schemeEnd is the index after "scheme://" at the start of url, or -1.
func schemeEnd(url []byte) int {
	if len(url) == 0 || !isAlpha(url[0]) {
		return -1
	}
	i := 1
	for i < len(url) && (isAlpha(url[i]) || url[i] >= '0' && url[i] <= '9' || url[i] == '+' || url[i] == '.' || url[i] == '-') {
		i++
	}
	if !bytes.HasPrefix(url[i:], []byte("://")) {
		return -1
	}
	return i + 3
}

func isAlpha(c byte) bool { return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' }

// hostEnd is the longest match of (\[[^]/]*\]|[^/?#:]*) at the start of r.
func hostEnd(r []byte) int {
	end := len(r)
	if i := indexIn(r, &hostStop); i >= 0 {
		end = i
	}
	if len(r) > 0 && r[0] == '[' {
		if i := indexIn(r[1:], &bracketStop); i >= 0 && r[1+i] == ']' && i+2 > end {
			end = i + 2
		}
	}
	return end
}

// byteSet is a set of ASCII bytes for indexIn.
type byteSet [256]bool

func newByteSet(chars string) byteSet {
	var s byteSet
	for i := 0; i < len(chars); i++ {
		s[chars[i]] = true
	}
	return s
}

// The bytes that end the parts of a URL, as the regular expression's
// bracket expressions say.
var (
	userStop    = newByteSet("/?#@") // [^/?#@]*@
	hostStop    = newByteSet("/?#:") // [^/?#:]*
	bracketStop = newByteSet("]/")   // \[[^]/]*\]
)

// indexIn is the index of the first byte of b in set, or -1: bytes.IndexAny
// without building its set on every call.
func indexIn(b []byte, set *byteSet) int {
	for i, c := range b {
		if set[c] {
			return i
		}
	}
	return -1
}

// asciiLower is lower() where the database's character classification is
// C: only A-Z change.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if c := b[j]; c >= 'A' && c <= 'Z' {
					b[j] = c + 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// write replaces agg_proxy_lan and agg_proxy_site of the day with the
// sums.
func (a proxyAgg) write(ctx context.Context, tx pgx.Tx, d dayRange) error {
	lans := a.sorted(func(l *proxyLAN) []byte { return l.name })

	// lower() of every host, once.
	var raw []string
	seen := map[string]bool{}
	for _, l := range lans {
		for h := range l.sites {
			if !seen[h] {
				seen[h] = true
				raw = append(raw, h)
			}
		}
	}
	lowered, err := lowerAll(ctx, tx, d.lowerInGo, raw)
	if err != nil {
		return err
	}

	date := pgDate(d.day)
	var lanBuf, siteBuf schema.CopyBuffer
	lanBuf.Reset()
	siteBuf.Reset()
	var nums []int64
	for _, l := range lans {
		nums, err = int64s(nums[:0], append([]sum128{l.bytes, l.hitBytes, l.missBytes}, l.class[:]...)...)
		if err != nil {
			return fmt.Errorf("agg_proxy_lan of LAN %s: %w", nameText(l.name), err)
		}
		lanBuf.Row(len(proxyLANCols))
		lanBuf.Int32(date) // a date is its day number, as an int32
		if l.name == nil {
			lanBuf.Null()
		} else {
			lanBuf.Text(l.name)
		}
		for _, v := range []int64{l.requests, nums[0], l.hitReq, nums[1], l.missReq, nums[2], l.denied, l.clients.len(),
			nums[3], nums[4], nums[5], nums[6], nums[7]} {
			lanBuf.Int64(v)
		}

		// Sites whose hosts lower() to the same text are one group.
		sites := map[string]*proxySite{}
		for h, s := range l.sites {
			lh := lowered[h]
			if t := sites[lh]; t != nil {
				t.requests += s.requests
				t.bytes.merge(s.bytes)
			} else {
				c := *s
				sites[lh] = &c
			}
		}
		hosts := make([]string, 0, len(sites))
		for h := range sites {
			hosts = append(hosts, h)
		}
		slices.Sort(hosts)
		writeSite := func(host *string, s *proxySite) error {
			b, err := s.bytes.int64()
			if err != nil {
				return fmt.Errorf("agg_proxy_site of LAN %s: %w", nameText(l.name), err)
			}
			siteBuf.Row(len(proxySiteCols))
			siteBuf.Int32(date)
			if l.name == nil {
				siteBuf.Null()
			} else {
				siteBuf.Text(l.name)
			}
			if host == nil {
				// host is NOT NULL: the COPY fails as the INSERT did.
				siteBuf.Null()
			} else {
				siteBuf.String(*host)
			}
			siteBuf.Int64(s.requests)
			siteBuf.Int64(b)
			return nil
		}
		for _, h := range hosts {
			if err := writeSite(&h, sites[h]); err != nil {
				return err
			}
		}
		if l.nullSite != nil {
			if err := writeSite(nil, l.nullSite); err != nil {
				return err
			}
		}
	}
	return replaceDay(ctx, tx, d, []aggTable{
		{"agg_proxy_lan", proxyLANCols, lanBuf.Finish()},
		{"agg_proxy_site", proxySiteCols, siteBuf.Finish()},
	})
}

// nameText names a LAN or vhost in an error message.
func nameText(name []byte) string {
	if name == nil {
		return "NULL"
	}
	return fmt.Sprintf("%q", name)
}

// cLowerSQL says whether the database's lower() changes only A-Z: libc with
// the C (or POSIX) character classification, as the private cluster is
// made. Elsewhere (another locale, ICU) the server lowers the hosts.
const cLowerSQL = `SELECT datctype IN ('C', 'POSIX') AND coalesce(to_jsonb(d) ->> 'datlocprovider', 'c') = 'c'
FROM pg_database d WHERE datname = current_database()`

// lowerAll maps each host to lower(host) as the database computes it.
func lowerAll(ctx context.Context, tx pgx.Tx, inGo bool, hosts []string) (map[string]string, error) {
	out := make(map[string]string, len(hosts))
	if inGo {
		for _, h := range hosts {
			out[h] = asciiLower(h)
		}
		return out, nil
	}
	var low []string
	if err := tx.QueryRow(ctx, `SELECT coalesce(array_agg(lower(h) ORDER BY i), '{}') FROM unnest($1::text[]) WITH ORDINALITY u(h, i)`, hosts).Scan(&low); err != nil {
		return nil, fmt.Errorf("lower the hosts: %w", err)
	}
	if len(low) != len(hosts) {
		return nil, fmt.Errorf("lower the hosts: %d for %d", len(low), len(hosts))
	}
	for i, h := range hosts {
		out[h] = low[i]
	}
	return out, nil
}
