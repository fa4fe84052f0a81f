package config

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
)

const ageKey = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"

func loadString(t *testing.T, text string) (*Config, string, error) {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "ispacct.toml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Load(p)
	return c, dir, err
}

func TestMailErrors(t *testing.T) {
	t.Setenv("ISPACCT_SMTP_PASSWORD", "")
	smtp := "[mail]\nto = [\"a@example.net\"]\n[mail.smtp]\nhost = \"mx.example.net\"\n"
	tests := []struct{ name, file, want string }{
		{"bad to", "[mail]\nto = [\"not an address\"]\n", `mail.to[0] = "not an address": not an e-mail address`},
		{"bad from", "[mail]\nfrom = \"@@\"\n", `mail.from = "@@": not an e-mail address`},
		{"smtp without to", "[mail.smtp]\nhost = \"mx.example.net\"\n", `mail.to: missing`},
		{"bad security", smtp + "security = \"ssl\"\n", `mail.smtp.security = "ssl": must be`},
		{"port in host", "[mail]\nto = [\"a@example.net\"]\n[mail.smtp]\nhost = \"mx:25\"\n", `mail.smtp.host = "mx:25"`},
		{"bad port", smtp + "port = 70000\n", `mail.smtp.port = "70000"`},
		{"bad auth", smtp + "auth = \"ntlm\"\n", `mail.smtp.auth = "ntlm"`},
		{"zero timeout", smtp + "timeout = \"0s\"\n", `mail.smtp.timeout = "0s"`},
		{"user without password", smtp + "username = \"u\"\n", `mail.smtp.password_file: no password`},
		{"missing password file", smtp + "username = \"u\"\npassword_file = \"nope\"\n", `mail.smtp.password_file = "`},
		{"password in clear", smtp + "security = \"none\"\nusername = \"u\"\npassword_file = \"/dev/null\"\n", `would send the password in clear`},
		{"missing ca file", smtp + "ca_file = \"ca.pem\"\n", `mail.smtp.ca_file = "`},
		{"negative size", "[mail]\nmax_attach_mb = -1\n", `mail.max_attach_mb = "-1"`},
		{"retry order", "[mail]\nretry_min = \"2h\"\nretry_max = \"1h\"\n", `mail.retry_max = "1h0m0s": must not be shorter`},
		{"bad duration", "[mail]\nretry_min = \"soon\"\n", `line 2: invalid duration: "soon"`},
		{"unknown key", "[mail.smtp]\npassword = \"x\"\n", `mail.smtp.password: unknown key`},
		{"bad age key", smtp + "[mail.encrypt]\nrecipients = [\"AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQ\"]\n", `mail.encrypt.recipients[0] = "AGE-SECR...": not an age public key`},
		{"encrypt without smtp", "[mail.encrypt]\nrecipients = [\"" + ageKey + "\"]\n", `mail.encrypt: set, but mail.smtp.host is not`},
		{"missing recipients file", smtp + "[mail.encrypt]\nrecipients_file = \"keys.txt\"\n", `mail.encrypt.recipients_file = "`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := loadString(t, tt.file)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Load error = %v, want it to contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "QQQQQQQQQQQQ") {
				t.Fatalf("error shows the secret key: %v", err)
			}
		})
	}
}

func TestMailDefaultsAndPaths(t *testing.T) {
	t.Setenv("ISPACCT_SMTP_PASSWORD", "")
	c, dir, err := loadString(t, "[mail]\nto = [\"Hostmaster <hm@example.net>\"]\nmaildir = \"Maildir\"\n[mail.smtp]\nhost = \"mx.example.net\"\nsecurity = \"tls\"\n")
	if err != nil {
		t.Fatal(err)
	}
	m := c.Mail
	if m.To[0] != "hm@example.net" || m.SMTP.Port != 465 || m.MaxAttachMB != 10 || m.RetryMin != 5*time.Minute || m.SMTP.Timeout != 30*time.Second {
		t.Fatalf("defaults: %+v", m)
	}
	if m.Maildir != filepath.Join(dir, "Maildir") || !strings.HasPrefix(m.From, "ispacct@") {
		t.Fatalf("maildir %q from %q", m.Maildir, m.From)
	}
	if !m.SMTPEnabled() || !m.MaildirEnabled() || m.Encrypt.Enabled() {
		t.Fatalf("enabled: %+v", m)
	}
}

// TestPasswordSources: the environment wins over the file, the file is
// read relative to the configuration, and the password is never printed.
func TestPasswordSources(t *testing.T) {
	base := "[mail]\nto = [\"a@example.net\"]\n[mail.smtp]\nhost = \"mx.example.net\"\nusername = \"u\"\npassword_file = \"pw\"\n"
	dir := t.TempDir()
	p := filepath.Join(dir, "c.toml")
	os.WriteFile(p, []byte(base), 0o644)
	os.WriteFile(filepath.Join(dir, "pw"), []byte("from-file\n"), 0o600)

	t.Setenv("ISPACCT_SMTP_PASSWORD", "")
	c, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if c.Mail.SMTP.Password != "from-file" {
		t.Fatalf("password from file: %q", c.Mail.SMTP.Password)
	}
	t.Setenv("ISPACCT_SMTP_PASSWORD", "from-env")
	if c, err = Load(p); err != nil || c.Mail.SMTP.Password != "from-env" {
		t.Fatalf("password from env: %q %v", c.Mail.SMTP.Password, err)
	}
	var buf bytes.Buffer
	if err := toml.NewEncoder(&buf).Encode(c); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "from-env") {
		t.Fatalf("the encoded configuration shows the password:\n%s", buf.String())
	}
}

func TestRecipientsFile(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "keys.txt"), []byte("# the admin\n"+ageKey+"\n"), 0o644)
	p := filepath.Join(dir, "c.toml")
	os.WriteFile(p, []byte("[mail]\nto = [\"a@example.net\"]\n[mail.smtp]\nhost = \"mx.example.net\"\n[mail.encrypt]\nrecipients_file = \"keys.txt\"\nrecipients = [\""+ageKey+"\"]\n"), 0o644)
	c, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Mail.Encrypt.Enabled() || c.Mail.Encrypt.RecipientsFile != filepath.Join(dir, "keys.txt") {
		t.Fatalf("encrypt: %+v", c.Mail.Encrypt)
	}
}
