package web

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/ispacct/ispacct/atomicfile"
	"golang.org/x/crypto/bcrypt"
)

// The password file holds "user:bcrypt-hash" lines, as `htpasswd -B`
// writes them. It is read at every login, so a new password counts at
// once, without a restart.

// bcryptCost is the work of a hash: about a tenth of a second on a small
// box, which makes guessing slow and a login still quick.
const bcryptCost = 11

// NoPasswordError: the password file is missing or names nobody.
type NoPasswordError struct{ File string }

func (e *NoPasswordError) Error() string {
	return fmt.Sprintf("no web password set in %s: run 'ispacct web passwd'", e.File)
}

// CheckUser checks a name and a password against the file. An unknown
// name costs as much time as a wrong password, so names cannot be probed.
func CheckUser(file, user, password string) (bool, error) {
	hash, err := checkUser(file, user, password)
	return hash != nil, err
}

// checkUser is CheckUser that returns the user's hash when the password
// is right, nil when not: a session keeps it to end when it changes.
func checkUser(file, user, password string) ([]byte, error) {
	hashes, err := readPasswords(file)
	if err != nil {
		return nil, err
	}
	if len(hashes) == 0 {
		return nil, &NoPasswordError{File: file}
	}
	h, ok := hashes[user]
	if !ok {
		h = stand(hashes)
	}
	if err := bcrypt.CompareHashAndPassword(h, []byte(password)); err != nil || !ok {
		return nil, nil
	}
	return h, nil
}

// stand is the hash an unknown name's password is compared with, for
// nothing but the time it takes: a hash of the file, so of the cost its
// users' hashes have, whatever wrote them ('htpasswd -B' uses cost 5,
// 'ispacct web passwd' 11). It is the first name's, to be the same each
// time.
func stand(hashes map[string][]byte) []byte {
	var first string
	for name := range hashes {
		if first == "" || name < first {
			first = name
		}
	}
	return hashes[first]
}

func readPasswords(file string) (map[string][]byte, error) {
	b, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) {
		return nil, &NoPasswordError{File: file}
	}
	if err != nil {
		return nil, fmt.Errorf("read web password file: %w", err)
	}
	return parsePasswords(b, file)
}

// parsePasswords reads "user:bcrypt-hash" lines; '#' starts a comment
// line. Errors name the file and line.
func parsePasswords(b []byte, file string) (map[string][]byte, error) {
	out := map[string][]byte{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		user, hash, ok := strings.Cut(line, ":")
		if !ok || user == "" || !strings.HasPrefix(hash, "$2") {
			return nil, fmt.Errorf("%s:%d: want \"user:bcrypt-hash\" (written by 'ispacct web passwd')", file, n)
		}
		out[user] = []byte(hash)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return out, nil
}

// CheckUserName refuses names that cannot stand in the file or the ledger.
func CheckUserName(user string) error {
	if user == "" || len(user) > 32 || strings.ContainsAny(user, ": \t\r\n") {
		return fmt.Errorf("user name %q: want 1 to 32 characters, no colon or space", user)
	}
	return nil
}

// SetPassword sets user's password in the file (mode 0600, created with
// its folder), keeping the other users. It is written whole beside the
// file and renamed over it, so a crash leaves the old file or the new.
func SetPassword(file, user, password string) error {
	if err := CheckUserName(user); err != nil {
		return err
	}
	if len(password) < 8 {
		return errors.New("password: at least 8 characters")
	}
	if len(password) > 72 {
		return errors.New("password: at most 72 bytes (bcrypt reads no further)")
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcryptCost)
	if err != nil {
		return fmt.Errorf("hash password: %w", err)
	}
	var lines []string
	if b, err := os.ReadFile(file); err == nil {
		for _, l := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
			if name, _, _ := strings.Cut(l, ":"); l != "" && name != user {
				lines = append(lines, l)
			}
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("read web password file: %w", err)
	}
	lines = append(lines, user+":"+string(hash))
	// The owner's alone: a hash is still worth guessing against.
	err = atomicfile.Write(file, atomicfile.Perm{File: 0o600, Dir: 0o700}, func(w io.Writer) error {
		_, err := io.WriteString(w, strings.Join(lines, "\n")+"\n")
		return err
	})
	if err != nil {
		return fmt.Errorf("web password file: %w", err)
	}
	// Set as root (ssh root@box), it is still the daemon's to read.
	if err := atomicfile.OwnLike(file, filepath.Dir(file)); err != nil {
		return fmt.Errorf("web password file: %w", err)
	}
	return nil
}
