package mailtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Dovecot is a private Dovecot instance serving one user's Maildir over
// POP3 and IMAP (plain text, on loopback), and optionally answering
// Postfix's SASL questions about the same user.
type Dovecot struct {
	Dir      string
	POP3     string // 127.0.0.1:port
	IMAP     string
	AuthAddr string // Dovecot's auth service for Postfix (smtpd_sasl_path)
	User     string
	Password string
	// Maildir is the user's mailbox, owned by the mail user; point the
	// code under test at it.
	Maildir string

	cmd *exec.Cmd
}

// StartDovecot starts a Dovecot for the user "dialin"; it stops when the
// test ends.
func StartDovecot(t testing.TB) *Dovecot {
	t.Helper()
	Need(t, "/usr/sbin/dovecot", "/usr/lib/dovecot/pop3", "/usr/lib/dovecot/imap")
	dir := privateDir(t, "ispacct-dovecot-")
	d := &Dovecot{
		Dir:      dir,
		POP3:     fmt.Sprintf("127.0.0.1:%d", FreePort(t)),
		IMAP:     fmt.Sprintf("127.0.0.1:%d", FreePort(t)),
		AuthAddr: fmt.Sprintf("127.0.0.1:%d", FreePort(t)),
		User:     "dialin",
		Password: "dial-in-secret",
		Maildir:  filepath.Join(dir, "home", "Maildir"),
	}
	mkdirOwned(t, filepath.Join(dir, "home"))
	mkdirOwned(t, d.Maildir)
	passwd := fmt.Sprintf("%s:{PLAIN}%s:%d:%d::%s::userdb_mail=maildir:%s\n",
		d.User, d.Password, mailUID, mailGID, filepath.Join(dir, "home"), d.Maildir)
	if err := os.WriteFile(filepath.Join(dir, "passwd"), []byte(passwd), 0o644); err != nil {
		t.Fatal(err)
	}
	port := func(addr string) string { return addr[len("127.0.0.1:"):] }
	conf := fmt.Sprintf(`protocols = pop3 imap
listen = 127.0.0.1
base_dir = %[1]s/run
state_dir = %[1]s/state
instance_name = ispacct-test
log_path = %[1]s/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
first_valid_uid = 1
passdb {
  driver = passwd-file
  args = %[1]s/passwd
}
userdb {
  driver = passwd-file
  args = %[1]s/passwd
}
service pop3-login {
  inet_listener pop3 {
    address = 127.0.0.1
    port = %[2]s
  }
  inet_listener pop3s {
    port = 0
  }
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = %[3]s
  }
  inet_listener imaps {
    port = 0
  }
}
service auth {
  inet_listener {
    address = 127.0.0.1
    port = %[4]s
  }
}
`, dir, port(d.POP3), port(d.IMAP), port(d.AuthAddr))
	confFile := filepath.Join(dir, "dovecot.conf")
	if err := os.WriteFile(confFile, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	d.cmd = exec.Command("/usr/sbin/dovecot", "-F", "-c", confFile)
	d.cmd.SysProcAttr = DieWithUs()
	if err := d.cmd.Start(); err != nil {
		t.Fatalf("start dovecot: %v", err)
	}
	t.Cleanup(d.stop)
	if err := waitGreeting(d.POP3, "+OK", 20*time.Second); err != nil {
		t.Fatalf("dovecot: %v\n%s", err, Tail(filepath.Join(dir, "dovecot.log"), 20))
	}
	return d
}

func (d *Dovecot) stop() {
	d.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { d.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		d.cmd.Process.Kill()
		<-done
	}
}

// Log returns the server's log.
func (d *Dovecot) Log() string {
	b, _ := os.ReadFile(filepath.Join(d.Dir, "dovecot.log"))
	return string(b)
}
