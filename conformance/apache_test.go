package conformance

import (
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ispacct/ispacct/mailer/mailtest"
	"github.com/ispacct/ispacct/schema/pgtest"
)

// The Apache test's virtual hosts; the first is the default. The third
// logs clients by name.
var (
	apacheVHosts = []string{"www.example.test", "shop.example.test"}
	namesVHost   = "names.example.test"
)

// Web users: names with blanks, UTF-8 and quotes.
var apacheUsers = []string{"anna", "Jörg Müller", "o'brien smith", "用户 名", `q"uote\\`}

// apacheBig is the size of the large file Apache serves (with sendfile,
// from a sparse file: cheap), past 4 GiB as Squid's.
const apacheBig = 4<<30 + 6789

// TestApache sends traffic to a private Apache whose three virtual hosts
// (one logs clients by name) log it as vhost_combined and in
// per-virtual-host common and combined logs, and checks ispacct's per-client, per-vhost and per-user requests
// and bytes against each log.
func TestApache(t *testing.T) {
	need(t, "/usr/sbin/apache2")
	big := bigSize(t, apacheBig)
	ap := startApache(t, big)
	start := time.Now()
	apacheTraffic(t, ap, big)
	t.Logf("traffic sent in %.1f s", time.Since(start).Seconds())
	ap.Stop(t)
	log := func(name string) string { return filepath.Join(ap.dir, name) }
	type logFile struct {
		format, shape, file, vhost string
	}
	logs := []logFile{{"apache-vhost", "vhost", "vhost.log", ""}}
	for _, v := range append(apacheVHosts, namesVHost) {
		logs = append(logs, logFile{"apache-common", "common", v + "-common.log", v}, logFile{"apache-combined", "combined", v + "-combined.log", v})
	}
	// Apache's upstream formats, %b for %O: body bytes, "-" for none.
	logs = append(logs, logFile{"apache-common", "common", apacheVHosts[0] + "-common-b.log", apacheVHosts[0]},
		logFile{"apache-combined", "combined", apacheVHosts[0] + "-combined-b.log", apacheVHosts[0]})
	files := []string{log("error.log")}
	for _, l := range logs {
		files = append(files, log(l.file))
	}
	keepLogs(t, files...)

	mustContain(t, log("vhost.log"), map[string]string{
		"400": `" 400 `, "401": `" 401 `, "408": `"-" 408 `, "414": `" 414 `, "IPv6 client": " ::1 ",
		"user with a blank": ` J\xc3\xb6rg M\xc3\xbcller [`, "escaped quote": `\"quoted\"`,
		"client by name": namesVHost + ":80 localhost ",
	})
	mustContain(t, log(apacheVHosts[0]+"-common-b.log"), map[string]string{
		"not modified, no body (%b is -)": `" 304 -`,
	})
	// Every request is in the vhost_combined log and in its virtual
	// host's common and combined logs.
	all := awkTallies(t, "apache.awk", map[string]string{"shape": "vhost", "by": "vhost"}, log("vhost.log"))
	if s := all.sum(); s.Bytes < big {
		t.Errorf("the logs add up to %d bytes, less than the big file (%d)", s.Bytes, big)
	}
	t.Logf("vhost.log: %d lines, %+v", len(logLines(t, log("vhost.log"))), all.sum())
	for _, shape := range []string{"common", "combined"} {
		perVHost := tallies{}
		for _, v := range append(apacheVHosts, namesVHost) {
			for k, n := range awkTallies(t, "apache.awk", map[string]string{"shape": shape, "by": "vhost", "vhost": v}, log(v+"-"+shape+".log")) {
				perVHost[k] = n
			}
		}
		sameTallies(t, "vhost_combined log vs the per-vhost "+shape+" logs", all, perVHost)
	}

	// A client logged by name is a row with its name and no address.
	perClient := `SELECT coalesce(host(ip), client_host), count(*), coalesce(sum(size), 0) FROM http GROUP BY 1`
	perVHost := `SELECT url || ' ' || coalesce(host(ip), client_host), count(*), coalesce(sum(size), 0) FROM http GROUP BY 1`
	perUser := `SELECT coalesce(htuser, '-'), count(*), coalesce(sum(size), 0) FROM http GROUP BY 1`
	aggVHost := `SELECT vhost, requests, bytes FROM agg_http_vhost`
	aggUser := `SELECT htuser, sum(requests)::bigint, sum(bytes)::bigint FROM agg_http_user GROUP BY 1`
	for _, c := range logs {
		t.Run(c.file, func(t *testing.T) {
			db := pgtest.NewIn(t, time.UTC)
			res := load(t, db, c.format, c.vhost, log(c.file))
			t.Logf("ingest: %d lines, %d rows, %d rejects %v", res.Lines, res.Rows, res.Rejects, res.Reasons)
			noRejects(t, db, c.file)
			vars := map[string]string{"shape": c.shape, "vhost": c.vhost}
			awk := func(by string) tallies {
				vars["by"] = by
				return awkTallies(t, "apache.awk", vars, log(c.file))
			}
			clients := awk("client")
			sameTallies(t, c.file+": http rows per client", clients, dbTallies(t, db, perClient))
			sameTallies(t, c.file+": http rows per second", awk("second"), dbTallies(t, db, perSecond("http", "size")))
			users := awk("user")
			sameTallies(t, c.file+": http rows per user", users, dbTallies(t, db, perUser))
			byVHost := awk("vhost")
			sameTallies(t, c.file+": http rows per vhost and client", byVHost, dbTallies(t, db, perVHost))
			sameTallies(t, c.file+": agg_http_vhost", sumByFirstWord(byVHost), dbTallies(t, db, aggVHost))
			delete(users, "-")
			sameTallies(t, c.file+": agg_http_user", users, dbTallies(t, db, aggUser))
		})
	}
}

// sumByFirstWord adds up "vhost client" tallies per vhost.
func sumByFirstWord(m tallies) tallies {
	out := tallies{}
	for k, v := range m {
		w, _, _ := strings.Cut(k, " ")
		s := out[w]
		out[w] = tally{s.Requests + v.Requests, s.Bytes + v.Bytes}
	}
	return out
}

type apache struct {
	*daemon
	dir  string
	port int
}

func startApache(t *testing.T, big int64) *apache {
	t.Helper()
	dir := serverDir(t, "ispacct-apache-")
	port := freePort(t)
	confPath := serverConf(t, "apache.conf", dir, port)

	htdocs := filepath.Join(dir, "htdocs")
	if err := os.MkdirAll(filepath.Join(htdocs, "private"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(htdocs, "index.html"), "<p>hello</p>\n")
	writeFile(t, filepath.Join(htdocs, "private", "index.html"), "<p>private</p>\n")
	writeFile(t, filepath.Join(htdocs, "a b|c\"d.txt"), "odd name\n")
	// The big file is sparse: reading it costs no disk.
	sparseFile(t, filepath.Join(htdocs, "big.bin"), big)
	var pw strings.Builder
	for _, u := range apacheUsers {
		sum := sha1.Sum([]byte("secret"))
		fmt.Fprintf(&pw, "%s:{SHA}%s\n", u, base64.StdEncoding.EncodeToString(sum[:]))
	}
	writeFile(t, filepath.Join(dir, "htpasswd"), pw.String())

	if out, err := execOut("/usr/sbin/apache2", "-t", "-f", confPath); err != nil {
		t.Fatalf("apache2 -t: %v\n%s", err, out)
	}
	// India: +0530, a half-hour offset.
	d := startDaemon(t, "apache2", "Asia/Kolkata", "/usr/sbin/apache2", "-f", confPath, "-DFOREGROUND")
	why := func() string { return d.out.String() + "\n" + mailtest.Tail(filepath.Join(dir, "error.log"), 30) }
	waitListening(t, fmt.Sprintf("127.0.0.1:%d", port), 30*time.Second, why)
	waitListening(t, fmt.Sprintf("[::1]:%d", port), 5*time.Second, why)
	return &apache{daemon: d, dir: dir, port: port}
}

// apacheTraffic sends ordinary and hostile requests from both address
// families to both virtual hosts.
func apacheTraffic(t *testing.T, ap *apache, big int64) {
	t.Helper()
	addr4 := fmt.Sprintf("127.0.0.1:%d", ap.port)
	addr6 := fmt.Sprintf("[::1]:%d", ap.port)
	client := &http.Client{Timeout: 2 * time.Minute}
	get := func(addr, host, method, path string, header map[string]string) int {
		t.Helper()
		req, err := http.NewRequest(method, "http://"+addr+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = host
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s%s: %v", method, host, path, err)
		}
		drain(resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, addr := range []string{addr4, addr6} {
		for _, host := range append(apacheVHosts, "unknown.example.test", "shop") {
			get(addr, host, "GET", "/", nil)
			get(addr, host, "GET", "/missing", nil)
			get(addr, host, "HEAD", "/index.html", nil)
		}
		get(addr, "www.example.test", "GET", "/a%20b%7Cc%22d.txt?q=%22x%22|y", map[string]string{
			"Referer":    `http://x.test/a "quoted" path\`,
			"User-Agent": `Mozilla/5.0 "evil" \"agent\" [x] - 200 1`,
		})
		get(addr, "shop.example.test", "GET", "/", map[string]string{"Referer": `"`, "User-Agent": `" "`})
		// Parts of the big file (206), its headers only, a POST, a 304.
		get(addr, "www.example.test", "GET", "/big.bin", map[string]string{"Range": "bytes=0-999"})
		get(addr, "www.example.test", "GET", "/big.bin", map[string]string{"Range": "bytes=0-9,100-199,-5"})
		get(addr, "www.example.test", "HEAD", "/big.bin", nil)
		get(addr, "www.example.test", "GET", "/index.html", map[string]string{"If-Modified-Since": time.Now().UTC().Format(http.TimeFormat)})
		get(addr, "www.example.test", "POST", "/index.html", nil)
	}
	// Clients logged by name: IPv4 only, a connection each.
	named := &http.Client{Timeout: time.Minute, Transport: &http.Transport{DisableKeepAlives: true}}
	for _, path := range []string{"/index.html", "/missing", "/big.bin"} {
		req, _ := http.NewRequest("GET", "http://"+addr4+path, nil)
		req.Host = namesVHost
		req.Header.Set("Range", "bytes=0-99")
		resp, err := named.Do(req)
		if err != nil {
			t.Fatalf("GET %s%s: %v", namesVHost, path, err)
		}
		drain(resp.Body)
		resp.Body.Close()
	}

	// Users with blanks, UTF-8 and quotes; a wrong password (401, and
	// Apache logs the name that was tried); no credentials (401).
	for i, u := range apacheUsers {
		addr := addr4
		if i%2 == 1 {
			addr = addr6
		}
		auth := map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte(u+":secret"))}
		if code := get(addr, "shop.example.test", "GET", "/private/index.html", auth); code != 200 {
			t.Errorf("user %q: status %d", u, code)
		}
	}
	get(addr4, "shop.example.test", "GET", "/private/index.html", map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte("Jörg Müller:wrong"))})
	get(addr6, "shop.example.test", "GET", "/private/index.html", nil)

	// Garbage: not HTTP, a TLS handshake on the plain port, blanks in the
	// request target, quotes and a pipe in it, a bad Host.
	for _, addr := range []string{addr4, addr6} {
		for _, r := range []string{
			"GARBAGE\r\n\r\n",
			"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03garbage\r\n\r\n",
			"GET /a b c HTTP/1.1\r\nHost: www.example.test\r\n\r\n",
			"GET /\"quoted\"|pipe HTTP/1.1\r\nHost: www.example.test\r\nConnection: close\r\n\r\n",
			"GET / HTTP/1.1\r\nHost: evil\"host\r\nConnection: close\r\n\r\n",
			// HTTP/0.9, a URL past LimitRequestLine (414), bytes that
			// are not UTF-8 in the URL, Referer and User-Agent.
			"GET /\r\n",
			"GET /" + strings.Repeat("long/", 1700) + " HTTP/1.1\r\nHost: www.example.test\r\n\r\n",
			"GET /\xff\xfe%ff HTTP/1.1\r\nHost: www.example.test\r\nReferer: \xff\\\"\r\nUser-Agent: \xc3\x28 \"\t\"\r\nConnection: close\r\n\r\n",
		} {
			rawExchange(t, addr, r, 10*time.Second)
		}
	}
	// A blank line and then nothing: 408 once RequestReadTimeout passes.
	// (A connection that sends no byte at all is not logged.)
	rawExchange(t, addr4, "\r\n", 10*time.Second)
	rawExchange(t, addr6, "\r\n", 10*time.Second)

	// Aborted: the client closes while the big file is coming.
	for _, addr := range []string{addr4, addr6} {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(c, "GET /big.bin HTTP/1.1\r\nHost: www.example.test\r\n\r\n")
		drain(io.LimitReader(c, 3<<20))
		c.Close()
	}

	// The big file, whole, from the second virtual host.
	start := time.Now()
	if n := fetchDiscard(t, addr6, "GET /big.bin HTTP/1.1\r\nHost: shop.example.test\r\nConnection: close\r\n\r\n"); n < big {
		t.Fatalf("big file: got %d bytes, want more than %d", n, big)
	}
	t.Logf("%d bytes from Apache in %.1f s", big, time.Since(start).Seconds())
}
