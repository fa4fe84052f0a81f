package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ispacct/ispacct/schema/pgtest"
	"github.com/ispacct/ispacct/web"
)

// withStdin runs f with standard input reading text.
func withStdin(t *testing.T, text string, f func()) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	w.WriteString(text)
	w.Close()
	old := os.Stdin
	os.Stdin = r
	defer func() { os.Stdin = old; r.Close() }()
	f()
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestWebCommand: 'web passwd' writes the hash from standard input, bad
// arguments are usage errors, and 'web' and 'daemon' (with web.listen)
// serve the page until stopped.
func TestWebCommand(t *testing.T) {
	dir := isolate(t)
	db := pgtest.New(t)
	cfg := filepath.Join(dir, "ispacct.toml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("timezone = \"Europe/Berlin\"\nstate_dir = %q\n", filepath.Join(dir, "state"))), 0o644)
	base := []string{"--config", cfg, "--db", db.ConnString, "--log-level", "warn"}

	var code int
	var out, errOut string
	withStdin(t, "a long password\n", func() { code, out, errOut = ispacct(t, append([]string{"web", "passwd"}, base...)...) })
	file := filepath.Join(dir, "state", "web.passwd")
	if code != 0 || !strings.Contains(out, "password of admin set in "+file) {
		t.Fatalf("web passwd: exit %d\n%s%s", code, out, errOut)
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("password file: %v %v", fi.Mode(), err)
	}
	if ok, err := web.CheckUser(file, "admin", "a long password"); !ok || err != nil {
		t.Fatalf("the password does not check: %v %v", ok, err)
	}
	for _, tt := range []struct {
		args  []string
		stdin string
		want  string
	}{
		{[]string{"web", "passwd"}, "short\n", "at least 8 characters"},
		{[]string{"web", "passwd", "--user", "a:b"}, "a long password\n", "--user"},
		{[]string{"web", "--listen", "127.0.0.1"}, "", "want host:port"},
		{[]string{"web", "serve"}, "", "unexpected arguments"},
	} {
		withStdin(t, tt.stdin, func() { code, out, errOut = ispacct(t, append(tt.args, base...)...) })
		if code != exitUsage || !strings.Contains(errOut, tt.want) {
			t.Errorf("%q: exit %d, want 2 with %q:\n%s", tt.args, code, tt.want, errOut)
		}
	}

	serve := func(name string, args ...string) {
		t.Helper()
		addr := freePort(t)
		if name == "daemon" {
			os.WriteFile(cfg, []byte(fmt.Sprintf("timezone = \"Europe/Berlin\"\nstate_dir = %q\n[web]\nlisten = %q\n",
				filepath.Join(dir, "state"), addr)), 0o644)
		} else {
			args = append(args, "--listen", addr)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan int, 1)
		var stderr bytes.Buffer
		go func() { done <- run(ctx, append(append([]string{name}, args...), base...), &bytes.Buffer{}, &stderr) }()
		var res *http.Response
		var err error
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if res, err = http.Get("http://" + addr + "/login"); err == nil {
				break
			}
		}
		if err != nil {
			cancel()
			t.Fatalf("%s: the page does not answer: %v\n%s", name, err, stderr.String())
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !strings.Contains(res.Header.Get("Content-Security-Policy"), "default-src 'none'") {
			t.Errorf("%s: /login %d %q", name, res.StatusCode, res.Header.Get("Content-Security-Policy"))
		}
		cancel()
		select {
		case c := <-done:
			if c != exitOK {
				t.Errorf("%s: exit %d after a stop\n%s", name, c, stderr.String())
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("%s did not stop", name)
		}
	}
	serve("web")
	serve("daemon")
}
