package mailer

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/ispacct/ispacct/atomicfile"
)

// Maildir delivers messages into a Maildir folder the way an MDA does
// (https://cr.yp.to/proto/maildir.html): the message is written and synced
// in tmp/, then renamed into new/, so a mail client (through POP3 or IMAP)
// sees a message completely or not at all.
//
// A delivery is named by its caller with a key that is unique on this host
// for the message (not for the attempt). Before writing, Deliver looks for
// that name in new/ and cur/ (where a mail client moves what it has seen,
// adding ":2,flags"), so a run that died after the rename but before it
// could record the delivery does not deliver the message twice.
type Maildir struct {
	Dir string
}

// MaildirName is a file name per the Maildir convention,
// "<seconds>.<unique>.<host>", with the host's "/" and ":" escaped.
func MaildirName(seconds int64, unique, host string) string {
	host = strings.ReplaceAll(host, "/", `\057`)
	host = strings.ReplaceAll(host, ":", `\072`)
	return fmt.Sprintf("%d.%s.%s", seconds, unique, host)
}

// Deliver writes the message read from r into new/ under name, unless a
// message of that name is already in the folder. It returns the file's
// path and whether it was there before.
//
// When the process runs as root, the file (and any folder it creates)
// is handed to the owner of the Maildir folder, whom the POP3/IMAP
// server reads it as.
func (m Maildir) Deliver(name string, r io.Reader) (path string, existed bool, err error) {
	if strings.ContainsAny(name, "/:") || name == "" || name[0] == '.' {
		return "", false, fmt.Errorf("maildir %q: bad message name %q", m.Dir, name)
	}
	if err := m.ensure(); err != nil {
		return "", false, err
	}
	if p, ok, err := m.find(name); err != nil || ok {
		return p, ok, err
	}
	tmp := filepath.Join(m.Dir, "tmp", name)
	final := filepath.Join(m.Dir, "new", name)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return "", false, fmt.Errorf("maildir %q: %w", m.Dir, err)
	}
	err = func() error {
		if _, err := io.Copy(f, r); err != nil {
			return err
		}
		if err := m.chown(f.Name()); err != nil {
			return err
		}
		return f.Sync()
	}()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, final)
	}
	if err != nil {
		os.Remove(tmp)
		return "", false, fmt.Errorf("maildir %q: deliver %s: %w", m.Dir, name, err)
	}
	if err := syncDir(filepath.Join(m.Dir, "new")); err != nil {
		return final, false, fmt.Errorf("maildir %q: %w", m.Dir, err)
	}
	return final, false, nil
}

// ensure creates the folder and its tmp/, new/ and cur/ if missing.
func (m Maildir) ensure() error {
	for _, sub := range []string{"", "tmp", "new", "cur"} {
		d := filepath.Join(m.Dir, sub)
		err := os.Mkdir(d, 0o700)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("maildir %q: %w", m.Dir, err)
		}
		if sub != "" {
			if err := m.chown(d); err != nil {
				return fmt.Errorf("maildir %q: %w", m.Dir, err)
			}
		}
	}
	return nil
}

// find looks for a delivered message called name in new/ or cur/.
func (m Maildir) find(name string) (string, bool, error) {
	p := filepath.Join(m.Dir, "new", name)
	if _, err := os.Stat(p); err == nil {
		return p, true, nil
	}
	cur := filepath.Join(m.Dir, "cur")
	entries, err := os.ReadDir(cur)
	if err != nil {
		return "", false, fmt.Errorf("maildir %q: %w", m.Dir, err)
	}
	for _, e := range entries {
		if base, _, _ := strings.Cut(e.Name(), ":"); base == name {
			return filepath.Join(cur, e.Name()), true, nil
		}
	}
	return "", false, nil
}

// chown gives path to the Maildir folder's owner when we run as root.
func (m Maildir) chown(path string) error { return atomicfile.OwnLike(path, m.Dir) }

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
