package mailtest

import (
	"crypto/x509"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Addresses the test Postfix knows.
const (
	Domain = "example.test"
	// Admin's mail is delivered into Postfix.Maildir.
	Admin = "admin@" + Domain
	// TempFail is refused with 451 4.3.0 at RCPT TO, every time.
	TempFail = "tempfail@" + Domain
	// Reject is refused with 554 5.7.1 at RCPT TO, every time.
	Reject = "reject@" + Domain
)

// PostfixOptions select what the server offers.
type PostfixOptions struct {
	// TLS offers STARTTLS with a certificate from a CA of the test's own
	// (Postfix.RootCAs trusts it).
	TLS bool
	// SASL, the address of a Dovecot auth listener (Dovecot.AuthAddr),
	// requires clients to log in; it implies TLS.
	SASL string
	// Main holds main.cf settings that replace or add to the test's
	// own, so a test can route mail to a server of its own or change the
	// queue's timing.
	Main string
}

// Postfix is a private Postfix instance: its master daemon runs as a
// child of the test on a loopback port and delivers Admin's mail into a
// Maildir; nothing leaves the machine (every other domain is refused).
type Postfix struct {
	Dir     string
	Port    int
	Addr    string         // 127.0.0.1:Port
	Maildir string         // Admin's mail
	RootCAs *x509.CertPool // with TLS: trusts the server's certificate
	CAFile  string         // the same, as a PEM file

	conf string
	cmd  *exec.Cmd
	t    testing.TB
}

// StartPostfix configures and starts a Postfix; it stops when the test ends.
func StartPostfix(t testing.TB, opt PostfixOptions) *Postfix {
	t.Helper()
	Need(t, "/usr/lib/postfix/sbin/master", "/usr/sbin/postfix")
	dir := privateDir(t, "ispacct-postfix-")
	p := &Postfix{Dir: dir, Port: FreePort(t), conf: filepath.Join(dir, "conf"), t: t}
	p.Addr = fmt.Sprintf("127.0.0.1:%d", p.Port)
	p.Maildir = filepath.Join(dir, "vmail", "admin", "Maildir")
	for _, d := range []string{"conf", "queue", "data"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chown(filepath.Join(dir, "data"), postfixUID(t), -1); err != nil {
		t.Fatal(err)
	}
	mkdirOwned(t, filepath.Join(dir, "vmail"))

	main := fmt.Sprintf(`compatibility_level = 3.6
queue_directory = %[1]s/queue
data_directory = %[1]s/data
meta_directory = /etc/postfix
maillog_file = %[1]s/maillog
maillog_file_prefixes = %[1]s
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mx.ispacct.test
mydomain = ispacct.test
myorigin = ispacct.test
mydestination =
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
smtputf8_enable = no
biff = no
smtpd_error_sleep_time = 0
message_size_limit = 104857600
virtual_mailbox_limit = 0
virtual_mailbox_domains = %[2]s
virtual_mailbox_base = %[1]s/vmail
virtual_mailbox_maps = inline:{%[3]s=admin/Maildir/}
virtual_uid_maps = static:%[4]d
virtual_gid_maps = static:%[5]d
# Nothing leaves the machine: every other destination is refused.
default_transport = error:5.7.1 outside delivery is off in tests
relay_transport = error:5.7.1 outside delivery is off in tests
smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination
smtpd_recipient_restrictions = check_recipient_access inline:{{%[6]s = 451 4.3.0 try again later}, {%[7]s = 554 5.7.1 refused by policy}}
`, dir, Domain, Admin, mailUID, mailGID, TempFail, Reject)
	if opt.TLS || opt.SASL != "" {
		pool, cert, key := newCertificate(t, filepath.Join(dir, "tls"))
		p.RootCAs, p.CAFile = pool, filepath.Join(dir, "tls", "ca.pem")
		main += fmt.Sprintf("smtpd_tls_cert_file = %s\nsmtpd_tls_key_file = %s\nsmtpd_tls_security_level = may\n", cert, key)
	}
	if opt.SASL != "" {
		main += fmt.Sprintf(`smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = inet:%s
smtpd_tls_auth_only = yes
# Only a client that logged in may send.
smtpd_client_restrictions = permit_sasl_authenticated, reject
`, opt.SASL)
	}
	main = withSettings(main, opt.Main)
	master := fmt.Sprintf("127.0.0.1:%d inet n - n - - smtpd\n", p.Port) + masterServices
	for name, text := range map[string]string{"main.cf": main, "master.cf": master} {
		if err := os.WriteFile(filepath.Join(p.conf, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// "postfix check" creates the queue folders with their owners.
	if out, err := exec.Command("/usr/sbin/postfix", "-c", p.conf, "check").CombinedOutput(); err != nil {
		t.Fatalf("postfix check: %v\n%s\n%s", err, out, Tail(filepath.Join(dir, "maillog"), 20))
	}
	p.Start()
	t.Cleanup(p.Stop)
	return p
}

// withSettings returns main.cf text with extra's settings in place of
// those of the same name. Not appended: Postfix warns of a setting given
// twice in every process it starts, and postlogd, which logs its own
// warnings to its own socket, deadlocks once that socket's short queue
// is full of them.
func withSettings(main, extra string) string {
	name := func(line string) string {
		k, _, ok := strings.Cut(line, "=")
		if !ok || line == "" || line[0] == ' ' || line[0] == '\t' || line[0] == '#' {
			return ""
		}
		return strings.TrimSpace(k)
	}
	replaced := map[string]bool{}
	for _, l := range strings.Split(extra, "\n") {
		if k := name(l); k != "" {
			replaced[k] = true
		}
	}
	var b strings.Builder
	skip := false
	for _, l := range strings.Split(strings.TrimRight(main, "\n"), "\n") {
		if k := name(l); k != "" {
			skip = replaced[k]
		} else if l == "" || l[0] == '#' {
			skip = false
		}
		if !skip {
			b.WriteString(l + "\n")
		}
	}
	return b.String() + extra
}

// The services a delivering Postfix needs; chroot is off ("n") because
// the private queue folder has no chroot tree.
const masterServices = `pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
`

// Start runs the master daemon in the foreground, as the test's child,
// and waits for the SMTP greeting. "-e" ends it by itself after a while
// should the test be killed without cleaning up.
func (p *Postfix) Start() {
	p.t.Helper()
	if p.cmd != nil {
		return
	}
	cmd := exec.Command("/usr/lib/postfix/sbin/master", "-c", p.conf, "-e", "1800")
	cmd.SysProcAttr = DieWithUs()
	if err := cmd.Start(); err != nil {
		p.t.Fatalf("start postfix: %v", err)
	}
	p.cmd = cmd
	if err := waitGreeting(p.Addr, "220 ", 20*time.Second); err != nil {
		p.Stop()
		p.t.Fatalf("postfix: %v\n%s", err, Tail(filepath.Join(p.Dir, "maillog"), 20))
	}
}

// Stop ends the master daemon (and with it every Postfix process) and
// waits until the port is closed.
func (p *Postfix) Stop() {
	if p.cmd == nil {
		return
	}
	p.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-done
	}
	p.cmd = nil
	if err := waitClosed(p.Addr, 10*time.Second); err != nil {
		p.t.Errorf("postfix stop: %v", err)
	}
}

// Received waits until Admin's Maildir holds at least n messages (delivery
// after the SMTP reply is asynchronous), then returns all of them.
func (p *Postfix) Received(n int, limit time.Duration) [][]byte {
	p.t.Helper()
	deadline := time.Now().Add(limit)
	for {
		msgs, err := readMaildir(p.Maildir)
		if err != nil && !os.IsNotExist(err) {
			p.t.Fatal(err)
		}
		if len(msgs) >= n || time.Now().After(deadline) {
			return msgs
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Log returns the server's log.
func (p *Postfix) Log() string {
	b, _ := os.ReadFile(filepath.Join(p.Dir, "maillog"))
	return string(b)
}

// Count returns how often s occurs in the server's log.
func (p *Postfix) Count(s string) int { return strings.Count(p.Log(), s) }

func postfixUID(t testing.TB) int {
	t.Helper()
	out, err := exec.Command("id", "-u", "postfix").Output()
	if err != nil {
		t.Fatalf("no postfix user: %v", err)
	}
	var uid int
	fmt.Sscan(string(out), &uid)
	return uid
}
