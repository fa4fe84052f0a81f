package config

import (
	"fmt"
	"net"
	"path/filepath"
	"strconv"
)

// Web is the administrator's web page (`ispacct web`, and the daemon when
// Listen is set).
type Web struct {
	// Listen is host:port. Empty: the daemon serves no page, and
	// `ispacct web` listens on DefaultWebListen. Loopback by default, so
	// that only who can log in to the box (ssh -L) reaches it.
	Listen string `toml:"listen"`
	// PasswordFile holds "user:bcrypt-hash" lines (`ispacct web passwd`);
	// default <state_dir>/web.passwd.
	PasswordFile string `toml:"password_file"`
	// Cert and Key, PEM files, turn on TLS (and Secure cookies).
	Cert string `toml:"cert"`
	Key  string `toml:"key"`
	// SessionHours: a login lasts this long.
	SessionHours int `toml:"session_hours"`
}

// DefaultWebListen is where `ispacct web` listens when web.listen is empty.
const DefaultWebListen = "127.0.0.1:8080"

// TLS reports whether the page is served over TLS.
func (w Web) TLS() bool { return w.Cert != "" }

func defaultWeb() Web { return Web{SessionHours: 8} }

func (c *Config) validateWeb() error {
	w := &c.Web
	if w.Listen != "" {
		if err := CheckListen(w.Listen); err != nil {
			return c.fail("web.listen", w.Listen, err.Error())
		}
	}
	dir := ""
	if c.File != "" {
		dir = filepath.Dir(c.File)
	}
	w.PasswordFile, w.Cert, w.Key = resolve(dir, w.PasswordFile), resolve(dir, w.Cert), resolve(dir, w.Key)
	if w.PasswordFile == "" {
		w.PasswordFile = filepath.Join(c.StateDir, "web.passwd")
	}
	if (w.Cert == "") != (w.Key == "") {
		return c.fail("web.cert", w.Cert, "web.cert and web.key go together: set both for TLS, or neither")
	}
	if w.SessionHours < 1 || w.SessionHours > 24*30 {
		return c.fail("web.session_hours", fmt.Sprint(w.SessionHours), "must be between 1 and 720")
	}
	return nil
}

// CheckListen checks a host:port address to listen on.
func CheckListen(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("want host:port like 127.0.0.1:8080 or 10.0.1.1:8080")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("port %q: want a number from 1 to 65535", port)
	}
	if host != "localhost" {
		// Every address would serve the page on the customer VLANs too.
		if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
			return fmt.Errorf("host %q: want one IP address of this box (127.0.0.1, 10.0.1.1) or localhost, not all of them", host)
		}
	}
	return nil
}
