package config

import (
	"errors"
	"fmt"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"time"

	"filippo.io/age"
)

// Mail says how archives reach the administrator: by SMTP to addresses
// anywhere, into a local Maildir collected over a dial-in line, or both.
// With neither [mail.smtp] host nor maildir set, nothing is delivered.
type Mail struct {
	// To are the administrator's addresses (an alias, usually).
	To []string `toml:"to"`
	// From is the sender; default ispacct@<host name>.
	From string `toml:"from"`
	// Maildir is a Maildir folder (with tmp/, new/, cur/) on this box that
	// a POP3 or IMAP server offers to the dial-in mail client.
	Maildir string `toml:"maildir"`
	// MaxAttachMB: an attachment larger than this many MiB is not mailed;
	// the mail carries the summary and says where the archive waits. 0
	// never attaches.
	MaxAttachMB int `toml:"max_attach_mb"`
	// RetryMin and RetryMax bound the wait between attempts of a message
	// that could not be sent (server down, 4xx, time-out): it doubles from
	// RetryMin up to RetryMax. 0 retries at every run.
	RetryMin time.Duration `toml:"retry_min"`
	RetryMax time.Duration `toml:"retry_max"`

	SMTP    SMTP    `toml:"smtp"`
	Encrypt Encrypt `toml:"encrypt"`
}

// SMTP is the server mail leaves through.
type SMTP struct {
	Host string `toml:"host"` // empty: no SMTP delivery
	// Port; 0 picks the usual one for Security: 587, 465 or 25.
	Port int `toml:"port"`
	// Security is "starttls" (STARTTLS is required), "tls" (implicit TLS,
	// port 465) or "none" (a local MTA on 127.0.0.1:25; no password then).
	Security string `toml:"security"`
	// CAFile names PEM certificates to trust instead of the system's, for
	// a server with a private CA.
	CAFile string `toml:"ca_file"`
	// Username turns on authentication; the password comes from
	// ISPACCT_SMTP_PASSWORD or PasswordFile, never from this file.
	Username     string `toml:"username"`
	PasswordFile string `toml:"password_file"`
	// Auth is the mechanism: "auto" (the strongest the server offers),
	// "plain", "login", "cram-md5", "scram-sha-256" or "scram-sha-1".
	Auth    string        `toml:"auth"`
	Timeout time.Duration `toml:"timeout"` // per connection step and idle write
	HELO    string        `toml:"helo"`    // default: the host name

	// Password is read from the environment or PasswordFile; it is never
	// printed (the toml and json encoders skip it).
	Password string `toml:"-" json:"-"`
}

// Encrypt encrypts the archive with age before it leaves by SMTP. The
// Maildir copy stays on the box and is not encrypted.
type Encrypt struct {
	// Recipients are age public keys (age1...).
	Recipients []string `toml:"recipients"`
	// RecipientsFile holds more, one a line, # comments allowed.
	RecipientsFile string `toml:"recipients_file"`
}

// Enabled reports whether encryption is configured.
func (e Encrypt) Enabled() bool { return len(e.Recipients) > 0 || e.RecipientsFile != "" }

// SMTPEnabled reports whether mail leaves by SMTP.
func (m Mail) SMTPEnabled() bool { return m.SMTP.Host != "" }

// MaildirEnabled reports whether mail goes into the local Maildir.
func (m Mail) MaildirEnabled() bool { return m.Maildir != "" }

// Delivers reports whether archives and notices leave the box at all, by
// SMTP or into the Maildir.
func (m Mail) Delivers() bool { return m.SMTPEnabled() || m.MaildirEnabled() }

// MaxAttachBytes is MaxAttachMB in bytes.
func (m Mail) MaxAttachBytes() int64 { return int64(m.MaxAttachMB) << 20 }

func defaultMail() Mail {
	return Mail{
		MaxAttachMB: 10,
		RetryMin:    5 * time.Minute,
		RetryMax:    6 * time.Hour,
		SMTP:        SMTP{Security: "starttls", Auth: "auto", Timeout: 30 * time.Second},
	}
}

func (m *Mail) resolve(dir string) {
	m.Maildir = resolve(dir, m.Maildir)
	m.SMTP.CAFile = resolve(dir, m.SMTP.CAFile)
	m.SMTP.PasswordFile = resolve(dir, m.SMTP.PasswordFile)
	m.Encrypt.RecipientsFile = resolve(dir, m.Encrypt.RecipientsFile)
}

// SMTPPorts are the usual ports of each security mode.
var SMTPPorts = map[string]int{"starttls": 587, "tls": 465, "none": 25}

// SMTPAuths are the mechanisms mail.smtp.auth may name.
var SMTPAuths = []string{"auto", "plain", "login", "cram-md5", "scram-sha-256", "scram-sha-1"}

func (c *Config) validateMail() error {
	m := &c.Mail
	for i, to := range m.To {
		a, err := mail.ParseAddress(to)
		if err != nil {
			return c.fail(fmt.Sprintf("mail.to[%d]", i), to, "not an e-mail address: "+strings.TrimPrefix(err.Error(), "mail: "))
		}
		m.To[i] = a.Address
	}
	if m.From == "" {
		host, _ := os.Hostname()
		if host == "" {
			host = "localhost"
		}
		m.From = "ispacct@" + host
	}
	a, err := mail.ParseAddress(m.From)
	if err != nil {
		return c.fail("mail.from", m.From, "not an e-mail address: "+strings.TrimPrefix(err.Error(), "mail: "))
	}
	m.From = a.Address
	// Relative paths are relative to the file, like the others.
	if c.File != "" {
		m.resolve(filepath.Dir(c.File))
	}
	if m.Maildir != "" {
		if m.Maildir, err = filepath.Abs(m.Maildir); err != nil {
			return c.fail("mail.maildir", m.Maildir, err.Error())
		}
		if err := notAFile("mail.maildir", m.Maildir, c); err != nil {
			return err
		}
	}
	if m.MaxAttachMB < 0 {
		return c.fail("mail.max_attach_mb", fmt.Sprint(m.MaxAttachMB), "must not be negative (0: never attach)")
	}
	if m.RetryMin < 0 {
		return c.fail("mail.retry_min", m.RetryMin.String(), "must not be negative")
	}
	if m.RetryMax < m.RetryMin {
		return c.fail("mail.retry_max", m.RetryMax.String(), "must not be shorter than mail.retry_min ("+m.RetryMin.String()+")")
	}
	if err := c.validateSMTP(); err != nil {
		return err
	}
	return c.validateEncrypt()
}

func (c *Config) validateSMTP() error {
	m, s := &c.Mail, &c.Mail.SMTP
	if _, ok := SMTPPorts[s.Security]; !ok {
		return c.fail("mail.smtp.security", s.Security, `must be "starttls", "tls" or "none"`)
	}
	if s.Host == "" {
		return nil
	}
	if len(m.To) == 0 {
		return c.fail("mail.to", "", "missing: mail.smtp.host is set, so name the address(es) to send to")
	}
	if strings.ContainsAny(s.Host, " /:") {
		return c.fail("mail.smtp.host", s.Host, "want a host name or address alone; the port goes in mail.smtp.port")
	}
	if s.Port == 0 {
		s.Port = SMTPPorts[s.Security]
	}
	if s.Port < 1 || s.Port > 65535 {
		return c.fail("mail.smtp.port", fmt.Sprint(s.Port), "must be 1..65535")
	}
	if s.Timeout <= 0 {
		return c.fail("mail.smtp.timeout", s.Timeout.String(), "must be positive, e.g. \"30s\"")
	}
	if !contains(SMTPAuths, s.Auth) {
		return c.fail("mail.smtp.auth", s.Auth, "must be one of "+strings.Join(SMTPAuths, ", "))
	}
	if s.CAFile != "" {
		if _, err := os.Stat(s.CAFile); err != nil {
			return c.fail("mail.smtp.ca_file", s.CAFile, "cannot be read: "+errText(err))
		}
	}
	if s.Username == "" {
		if s.PasswordFile != "" || s.Password != "" {
			return c.fail("mail.smtp.username", "", "missing: a password is set (ISPACCT_SMTP_PASSWORD or mail.smtp.password_file) but no user name")
		}
		return nil
	}
	if s.Security == "none" {
		return c.fail("mail.smtp.security", s.Security, "would send the password in clear: use \"starttls\" or \"tls\" with a user name")
	}
	if s.Password == "" && s.PasswordFile != "" {
		b, err := os.ReadFile(s.PasswordFile)
		if err != nil {
			return c.fail("mail.smtp.password_file", s.PasswordFile, "cannot be read: "+errText(err))
		}
		s.Password = strings.TrimRight(string(b), "\r\n")
	}
	if s.Password == "" {
		return c.fail("mail.smtp.password_file", s.PasswordFile, "no password: set ISPACCT_SMTP_PASSWORD or name a file holding it")
	}
	return nil
}

func (c *Config) validateEncrypt() error {
	e := c.Mail.Encrypt
	for i, r := range e.Recipients {
		if _, err := age.ParseRecipients(strings.NewReader(r)); err != nil || strings.ContainsAny(r, "\n#") {
			// A private key pasted here by mistake must not end up in an error.
			return c.fail(fmt.Sprintf("mail.encrypt.recipients[%d]", i), shorten(r), "not an age public key (age1...)")
		}
	}
	if e.RecipientsFile != "" {
		f, err := os.Open(e.RecipientsFile)
		if err != nil {
			return c.fail("mail.encrypt.recipients_file", e.RecipientsFile, "cannot be read: "+errText(err))
		}
		defer f.Close()
		if _, err := age.ParseRecipients(f); err != nil {
			return c.fail("mail.encrypt.recipients_file", e.RecipientsFile, err.Error())
		}
	}
	if e.Enabled() && !c.Mail.SMTPEnabled() {
		return c.fail("mail.encrypt", "", "set, but mail.smtp.host is not: only mail that leaves by SMTP is encrypted")
	}
	return nil
}

// shorten keeps enough of a bad key to recognise it, and no more.
func shorten(s string) string {
	if len(s) > 12 {
		return s[:8] + "..."
	}
	return s
}

// errText is an error without the path, which the message names already.
func errText(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
