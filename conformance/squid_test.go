package conformance

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ispacct/ispacct/mailer/mailtest"
	"github.com/ispacct/ispacct/schema/pgtest"
)

// bigResponse is the size of the largest response sent through Squid:
// past 4 GiB, where a 32-bit byte count wraps.
const bigResponse = 4<<30 + 12345

// Proxy users: names with spaces, UTF-8 and quotes, which Squid logs as
// they were sent.
var squidUsers = []string{"anna", "Jörg Müller", "o'brien smith", "用户 名", `q"uote`}

// TestSquid sends traffic through a private Squid that logs it in the
// squid, common and combined formats at once, and checks that ispacct's
// per-client requests and bytes equal those of each log, that the three
// agree, and that nothing is rejected.
func TestSquid(t *testing.T) {
	need(t, "/usr/sbin/squid", "/usr/lib/squid/basic_fake_auth")
	origin := startOrigin(t)
	sq := startSquid(t, origin.port)

	big := bigSize(t, bigResponse)
	start := time.Now()
	squidTraffic(t, sq, origin, big)
	t.Logf("traffic sent in %.1f s", time.Since(start).Seconds())
	sq.Stop(t)

	logs := map[string]string{
		"squid":          filepath.Join(sq.dir, "access.log"),
		"squid-common":   filepath.Join(sq.dir, "common.log"),
		"squid-combined": filepath.Join(sq.dir, "combined.log"),
	}
	keepLogs(t, logs["squid"], logs["squid-common"], logs["squid-combined"], filepath.Join(sq.dir, "cache.log"))
	mustContain(t, logs["squid"], map[string]string{
		"431": "NONE_NONE/431 ", "501 from Squid": "NONE_NONE/501 ", "407": "TCP_DENIED/407 ",
		"garbage request": "error:invalid-request", "connection without a request": "error:transaction-end-before-headers",
		"CONNECT": "TCP_TUNNEL/200 ", "IPv6 client": " ::1 ", "cache hit": "_HIT/200 ",
		"403": "TCP_DENIED/403 ", "503": "/503 ",
		"user with a blank": " j%c3%b6rg m%c3%bcller ",
	})
	truth := map[string]tallies{
		"squid":          awkTallies(t, "squid.awk", nil, logs["squid"]),
		"squid-common":   awkTallies(t, "squid-clf.awk", nil, logs["squid-common"]),
		"squid-combined": awkTallies(t, "squid-clf.awk", map[string]string{"combined": "1"}, logs["squid-combined"]),
	}
	for _, format := range []string{"squid", "squid-common", "squid-combined"} {
		t.Logf("%s: %d lines, %+v", format, len(logLines(t, logs[format])), truth[format].sum())
	}
	// The three logs record the same transactions.
	sameTallies(t, "squid log vs common log", truth["squid"], truth["squid-common"])
	sameTallies(t, "squid log vs combined log", truth["squid"], truth["squid-combined"])
	if got := truth["squid"].sum().Bytes; got < big {
		t.Errorf("the logs add up to %d bytes, less than the big response (%d)", got, big)
	}

	for _, format := range []string{"squid", "squid-common", "squid-combined"} {
		t.Run(format, func(t *testing.T) {
			db := pgtest.NewIn(t, time.UTC)
			// One LAN per address family, as if the loopback
			// addresses were customers: bills are per LAN.
			if _, err := db.Pool.Exec(context.Background(),
				`INSERT INTO landefs (lan_name, sublan) VALUES ('lan4', '127.0.0.0/8'), ('lan6', '::1/128')`); err != nil {
				t.Fatal(err)
			}
			res := load(t, db, format, "", logs[format])
			t.Logf("ingest: %d lines, %d rows, %d rejects %v", res.Lines, res.Rows, res.Rejects, res.Reasons)
			noRejects(t, db, format)
			sameTallies(t, format+": proxy rows per client", truth[format],
				dbTallies(t, db, `SELECT host(ip_client), count(*), coalesce(sum(size), 0) FROM proxy GROUP BY 1`))
			// The bills are made of the aggregates.
			perLAN := tallies{"lan4": truth[format]["127.0.0.1"], "lan6": truth[format]["::1"]}
			sameTallies(t, format+": proxy rows per LAN", perLAN,
				dbTallies(t, db, `SELECT coalesce(lan_name, '(none)'), count(*), coalesce(sum(size), 0) FROM proxy GROUP BY 1`))
			sameTallies(t, format+": agg_proxy_lan", perLAN,
				dbTallies(t, db, `SELECT coalesce(lan_name, '(none)'), requests, bytes FROM agg_proxy_lan`))
			sameTallies(t, format+": agg_proxy_site", tallies{"": truth[format].sum()},
				dbTallies(t, db, `SELECT '', coalesce(sum(requests), 0)::bigint, coalesce(sum(bytes), 0)::bigint FROM agg_proxy_site`))
			byUser := map[string]string{"by": "user"}
			if format == "squid-combined" {
				byUser["combined"] = "1"
			}
			awkProgram := map[string]string{"squid": "squid.awk", "squid-common": "squid-clf.awk", "squid-combined": "squid-clf.awk"}[format]
			bySecond := map[string]string{"by": "second", "combined": byUser["combined"]}
			sameTallies(t, format+": proxy rows per second", awkTallies(t, awkProgram, bySecond, logs[format]),
				dbTallies(t, db, perSecond("proxy", "size")))
			sameTallies(t, format+": proxy rows per user", awkTallies(t, awkProgram, byUser, logs[format]),
				dbTallies(t, db, `SELECT coalesce(ident, '-'), count(*), coalesce(sum(size), 0) FROM proxy GROUP BY 1`))
		})
	}
}

type squid struct {
	*daemon
	dir  string
	port int
}

func startSquid(t *testing.T, originPort int) *squid {
	t.Helper()
	dir := serverDir(t, "ispacct-squid-")
	port := freePort(t)
	confPath := serverConf(t, "squid.conf", dir, port, "@ORIGIN_PORT@", strconv.Itoa(originPort))
	if out, err := execOut("/usr/sbin/squid", "-k", "parse", "-f", confPath); err != nil {
		t.Fatalf("squid -k parse: %v\n%s", err, out)
	}
	// -N: no daemon, so the test owns the process; -d1: errors to stderr.
	// A negative offset with minutes, the hardest case: Squid 5 writes
	// Newfoundland's -0330 as "-03-30" in the common and combined logs.
	// ISPACCT_CONFORMANCE_SQUID_TZ picks another zone.
	tz := os.Getenv("ISPACCT_CONFORMANCE_SQUID_TZ")
	if tz == "" {
		tz = "America/St_Johns"
	}
	d := startDaemon(t, "squid", tz, "/usr/sbin/squid", "-N", "-d1", "-f", confPath)
	sq := &squid{daemon: d, dir: dir, port: port}
	why := func() string { return d.out.String() + "\n" + mailtest.Tail(filepath.Join(dir, "cache.log"), 30) }
	waitListening(t, fmt.Sprintf("127.0.0.1:%d", port), 30*time.Second, why)
	waitListening(t, fmt.Sprintf("[::1]:%d", port), 5*time.Second, why)
	return sq
}

// origin is the web server behind the proxy, on 127.0.0.1 and ::1 at the
// same port.
type origin struct {
	port int
}

func startOrigin(t *testing.T) *origin {
	t.Helper()
	zeroFile := sparseFile(t, filepath.Join(t.TempDir(), "zeros"), 1<<40)
	mux := http.NewServeMux()
	// /open/size/N and /auth/size/N: N zero bytes, with Content-Length.
	sized := func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.ParseInt(r.PathValue("n"), 10, 64)
		if err != nil {
			http.Error(w, "size", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Length", strconv.FormatInt(n, 10))
		w.Header().Set("Content-Type", "application/octet-stream")
		if r.URL.Query().Get("cache") != "" {
			w.Header().Set("Cache-Control", "max-age=3600")
			w.Header().Set("Last-Modified", time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat))
		}
		if r.Method == http.MethodHead {
			return
		}
		// From a sparse file: the server sends it with sendfile(2),
		// so gigabytes cost little.
		f, err := os.Open(zeroFile)
		if err != nil {
			return
		}
		defer f.Close()
		io.Copy(w, io.LimitReader(f, n))
	}
	mux.HandleFunc("/open/size/{n}", sized)
	mux.HandleFunc("/auth/size/{n}", sized)
	mux.HandleFunc("/open/status/{code}", func(w http.ResponseWriter, r *http.Request) {
		code, _ := strconv.Atoi(r.PathValue("code"))
		http.Error(w, "status "+r.PathValue("code"), code)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		fmt.Fprintf(w, "%s %s\n", r.Method, r.URL.RequestURI())
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	port := freePort(t)
	for _, host := range []string{"127.0.0.1", "::1"} {
		l, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
		if err != nil {
			t.Fatal(err)
		}
		go srv.Serve(l)
	}
	t.Cleanup(func() { srv.Close() })
	return &origin{port: port}
}

func proxyAuth(user string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":secret"))
}

// squidTraffic is the test's traffic: ordinary requests from both address
// families, with and without a user, and what a hostile or broken client
// sends.
func squidTraffic(t *testing.T, sq *squid, o *origin, big int64) {
	t.Helper()
	proxy4 := fmt.Sprintf("127.0.0.1:%d", sq.port)
	proxy6 := fmt.Sprintf("[::1]:%d", sq.port)
	origin4 := fmt.Sprintf("127.0.0.1:%d", o.port)
	origin6 := fmt.Sprintf("[::1]:%d", o.port)
	client := func(proxy string) *http.Client {
		u := &url.URL{Scheme: "http", Host: proxy}
		return &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(u), DisableKeepAlives: true}, Timeout: 2 * time.Minute}
	}
	c4, c6 := client(proxy4), client(proxy6)
	get := func(c *http.Client, method, u string, header map[string]string, body io.Reader) int {
		t.Helper()
		req, err := http.NewRequest(method, u, body)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, u, err)
		}
		drain(resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}

	// Ordinary requests, IPv4 and IPv6, sizes around buffer edges.
	for _, n := range []int{0, 1, 4095, 4096, 65537, 1 << 20} {
		get(c4, "GET", fmt.Sprintf("http://%s/open/size/%d", origin4, n), nil, nil)
		get(c6, "GET", fmt.Sprintf("http://%s/open/size/%d", origin6, n), nil, nil)
	}
	// A cacheable object fetched twice: a miss, then a hit.
	for range 2 {
		get(c4, "GET", fmt.Sprintf("http://%s/open/size/1000?cache=1", origin4), nil, nil)
	}
	get(c4, "HEAD", fmt.Sprintf("http://%s/open/size/5000", origin4), nil, nil)
	get(c6, "POST", fmt.Sprintf("http://%s/open/post", origin6), nil, strings.NewReader(strings.Repeat("x", 10000)))
	get(c4, "GET", fmt.Sprintf("http://%s/open/status/404", origin4), nil, nil)
	get(c4, "GET", fmt.Sprintf("http://%s/open/status/501", origin4), nil, nil)
	// Referer and User-Agent with quotes, backslashes and spaces.
	get(c4, "GET", fmt.Sprintf("http://%s/open/size/10", origin4), map[string]string{
		"Referer":    `http://x.test/a "quoted" path\ `,
		"User-Agent": `Mozilla/5.0 "evil" \"agent\" [x] - 200 1`,
	}, nil)
	get(c6, "GET", fmt.Sprintf("http://%s/open/size/11", origin6), map[string]string{"Referer": `"`, "User-Agent": `" "`}, nil)

	// Users: names with spaces, UTF-8 and quotes; and a request without
	// credentials (407).
	for i, u := range squidUsers {
		c := c4
		o := origin4
		if i%2 == 1 {
			c, o = c6, origin6
		}
		if code := get(c, "GET", fmt.Sprintf("http://%s/auth/size/%d", o, 100+i), map[string]string{"Proxy-Authorization": proxyAuth(u)}, nil); code != 200 {
			t.Errorf("user %q: status %d", u, code)
		}
	}
	if code := get(c4, "GET", fmt.Sprintf("http://%s/auth/size/1", origin4), nil, nil); code != 407 {
		t.Errorf("no credentials: status %d, want 407", code)
	}
	// Denied by an ACL (403), and an origin that refuses the connection
	// (503).
	if code := get(c6, "GET", fmt.Sprintf("http://%s/open/blocked/x", origin4), nil, nil); code != 403 {
		t.Errorf("blocked: status %d, want 403", code)
	}
	if code := get(c4, "GET", "http://127.0.0.1:1/open/refused", nil, nil); code != 503 {
		t.Errorf("refused: status %d, want 503", code)
	}

	// Raw requests: URLs with | and quotes, a garbage request line, a
	// connection that sends nothing, huge headers (431), an unsupported
	// transfer coding (501).
	auth := "Proxy-Authorization: " + proxyAuth("Jörg Müller") + "\r\n"
	raws := []string{
		fmt.Sprintf("GET http://%s/open/a|b|c?x=1|2 HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", origin4, origin4),
		fmt.Sprintf("GET http://%s/open/q\"uote\"d?\"x\" HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", origin4, origin4),
		fmt.Sprintf("GET http://%s/open/q?a=[1]&b=\"%%20\"&c=x|y&d=] \"-\" 200 1 HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", origin4, origin4),
		fmt.Sprintf("GET http://%s/auth/a%%20b|%%22c%%22 HTTP/1.1\r\nHost: %s\r\n%sConnection: close\r\n\r\n", origin4, origin4, auth),
		"GARBAGE\r\n\r\n",
		"GET / HTTP/1.1 trailing junk \" |\r\n\r\n",
		"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03garbage\r\n\r\n",
		"",
		fmt.Sprintf("GET http://%s/open/size/1 HTTP/1.1\r\nHost: %s\r\nX-Big: %s\r\nConnection: close\r\n\r\n", origin4, origin4, strings.Repeat("h", 20000)),
		fmt.Sprintf("POST http://%s/open/te HTTP/1.1\r\nHost: %s\r\nTransfer-Encoding: gzip, chunked\r\nConnection: close\r\n\r\n0\r\n\r\n", origin4, origin4),
		fmt.Sprintf("BREW http://%s/open/pot HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", origin4, origin4),
		// HTTP/0.9, HTTP/1.0, a 7000-byte URL, bytes that are not UTF-8.
		fmt.Sprintf("GET http://%s/open/size/5\r\n", origin4),
		fmt.Sprintf("GET http://%s/open/size/6 HTTP/1.0\r\n\r\n", origin4),
		fmt.Sprintf("GET http://%s/open/%s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", origin4, strings.Repeat("long/", 1400), origin4),
		fmt.Sprintf("GET http://%s/open/\xff\xfe%%ff HTTP/1.1\r\nHost: %s\r\nReferer: \xff\\\"\r\nUser-Agent: \xc3\x28 \"\t\"\r\n%sConnection: close\r\n\r\n", origin4, origin4, "Proxy-Authorization: "+proxyAuth("\xff\xfe")+"\r\n"),
	}
	for _, r := range raws {
		rawExchange(t, proxy4, r, 10*time.Second)
	}
	rawExchange(t, proxy6, "GARBAGE\r\n\r\n", 10*time.Second)

	// Aborted: the client closes while the body is still coming.
	for _, p := range []string{proxy4, proxy6} {
		abortedGet(t, p, fmt.Sprintf("http://%s/open/size/%d", origin4, 200<<20), 3<<20)
	}

	// CONNECT tunnels, each carrying a request and its answer, and one
	// to a port CONNECT may not reach (403).
	connectTunnel(t, proxy4, origin4, proxyAuth("Jörg Müller"))
	connectTunnel(t, proxy6, origin4, proxyAuth("用户 名"))
	if r := rawExchange(t, proxy4, "CONNECT 127.0.0.1:1 HTTP/1.1\r\nHost: 127.0.0.1:1\r\nProxy-Authorization: "+proxyAuth("anna")+"\r\nConnection: close\r\n\r\n", 10*time.Second); !strings.Contains(r, " 403 ") {
		t.Errorf("CONNECT to a closed port: %.40q, want 403", r)
	}

	// A response past 4 GiB, streamed and discarded.
	start := time.Now()
	n := fetchDiscard(t, proxy4, fmt.Sprintf("GET http://%s/auth/size/%d HTTP/1.1\r\nHost: %s\r\nProxy-Authorization: %s\r\nConnection: close\r\n\r\n",
		origin4, big, origin4, proxyAuth("anna")))
	if n < big {
		t.Fatalf("big response: got %d bytes, want more than %d", n, big)
	}
	t.Logf("%d bytes through Squid in %.1f s", big, time.Since(start).Seconds())
}

// abortedGet reads part of a response and closes the connection.
func abortedGet(t *testing.T, proxy, u string, keep int64) {
	t.Helper()
	c, err := net.Dial("tcp", proxy)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	pu, _ := url.Parse(u)
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", u, pu.Host)
	if n := drain(io.LimitReader(c, keep)); n != keep {
		t.Fatalf("aborted get %s: got %d bytes, want %d", u, n, keep)
	}
}

// connectTunnel opens a CONNECT tunnel to the origin and sends a request
// through it: Squid only carries the bytes, and logs their count.
func connectTunnel(t *testing.T, proxy, target, auth string) {
	t.Helper()
	c, err := net.Dial("tcp", proxy)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, "CONNECT %s HTTP/1.1\r\nHost: %s\r\nProxy-Authorization: %s\r\n\r\n", target, target, auth)
	buf := make([]byte, 4096)
	n, err := c.Read(buf)
	if err != nil || !strings.Contains(string(buf[:n]), " 200 ") {
		t.Fatalf("CONNECT %s: %q %v", target, buf[:n], err)
	}
	// Plain HTTP inside the tunnel: a request and its whole answer.
	fmt.Fprintf(c, "GET /open/size/7777 HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", target)
	io.Copy(io.Discard, c)
}
