// Package mailtest runs real mail servers for tests: Debian's Postfix as
// the SMTP server and Dovecot as the POP3/IMAP server, as private
// instances of the test's own, with their own configuration, on loopback
// ports, stopped when the test ends. It also speaks POP3 and takes MIME
// apart with the standard library, to check what a mail client would get.
//
// fixtures/install-test-deps.sh mail installs the servers (make test-deps
// runs it). Without them a test skips, except under CI=true, where it
// fails: CI must never pass by skipping.
package mailtest

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Mail user the servers deliver as and read with: nobody, which exists
// on every Debian system. Dovecot refuses root, and so does Postfix's
// virtual delivery agent.
const (
	mailUID = 65534
	mailGID = 65534
)

// Need skips the test when a program is missing or it does not run as
// root (the servers switch to their own users), or fails it under CI:
// CI must never pass by skipping.
func Need(t testing.TB, programs ...string) {
	t.Helper()
	for _, p := range programs {
		if _, err := exec.LookPath(p); err == nil {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			continue
		}
		msg := fmt.Sprintf("needs %s (fixtures/install-test-deps.sh installs it; make test-deps runs it)", p)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	if os.Geteuid() != 0 {
		msg := "needs root: the servers switch to their own users"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
}

// privateDir makes a folder the servers' unprivileged users can traverse
// (a test's TempDir is 0700 root), removed when the test ends.
func privateDir(t testing.TB, prefix string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// mkdirOwned creates a folder owned by the mail user.
func mkdirOwned(t testing.TB, path string) {
	t.Helper()
	if err := os.MkdirAll(path, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(path, mailUID, mailGID); err != nil {
		t.Fatal(err)
	}
}

// FreePort returns a loopback TCP port nobody listens on right now.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// waitGreeting waits until addr answers with a line starting with want.
func waitGreeting(addr, want string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	var last error
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.SetDeadline(time.Now().Add(2 * time.Second))
			line, err := bufio.NewReader(c).ReadString('\n')
			c.Close()
			if err == nil && strings.HasPrefix(line, want) {
				return nil
			}
			last = fmt.Errorf("greeting %q", line)
		} else {
			last = err
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s did not answer %q within %s: %v", addr, want, limit, last)
}

// waitClosed waits until nothing accepts connections on addr.
func waitClosed(addr string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err != nil {
			return nil
		}
		c.Close()
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s still accepts connections after %s", addr, limit)
}

// readMaildir returns the messages in a Maildir's new/ and cur/, oldest
// name first.
func readMaildir(dir string) ([][]byte, error) {
	var names []string
	for _, sub := range []string{"new", "cur"} {
		m, err := filepath.Glob(filepath.Join(dir, sub, "*"))
		if err != nil {
			return nil, err
		}
		names = append(names, m...)
	}
	var out [][]byte
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// Tail is the last n lines of a server's log, for a failure message.
func Tail(path string, n int) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
