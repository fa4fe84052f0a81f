package web

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
)

// TestPasswordFile: set, check, change, keep the others; mode 0600.
func TestPasswordFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "state", "web.passwd")
	if _, err := CheckUser(file, "admin", "x"); err == nil || !strings.Contains(err.Error(), "ispacct web passwd") {
		t.Fatalf("no file: %v", err)
	}
	for _, tt := range []struct{ user, pw, want string }{
		{"admin", "short", "at least 8"},
		{"ad:min", "long enough", "no colon"},
		{"admin", strings.Repeat("x", 73), "at most 72"},
	} {
		if err := SetPassword(file, tt.user, tt.pw); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("SetPassword(%q, %q): %v, want %q", tt.user, tt.pw, err, tt.want)
		}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(SetPassword(file, "admin", "first password"))
	must(SetPassword(file, "backup", "second password"))
	must(SetPassword(file, "admin", "third password"))
	fi, err := os.Stat(file)
	must(err)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	for _, tt := range []struct {
		user, pw string
		ok       bool
	}{
		{"admin", "third password", true}, {"admin", "first password", false},
		{"backup", "second password", true}, {"nobody", "second password", false}, {"admin", "", false},
		// an unknown name is checked against a user's hash, never let in by it
		{"nobody", "third password", false},
	} {
		ok, err := CheckUser(file, tt.user, tt.pw)
		if err != nil || ok != tt.ok {
			t.Errorf("CheckUser(%q, %q) = %v, %v; want %v", tt.user, tt.pw, ok, err, tt.ok)
		}
	}
	b, _ := os.ReadFile(file)
	if strings.Count(string(b), "\n") != 2 || strings.Contains(string(b), "password") {
		t.Errorf("file:\n%s", b)
	}
	os.WriteFile(file, []byte("admin:plain\n"), 0o600)
	if _, err := CheckUser(file, "admin", "plain"); err == nil || !strings.Contains(err.Error(), file+":1:") {
		t.Errorf("a line without a hash: %v", err)
	}
}

// TestUnknownNameTakesAsLong: an unknown name's password is compared with
// a hash of the file's own cost, so its answer comes as slowly as a known
// name's, whatever cost wrote the file.
func TestUnknownNameTakesAsLong(t *testing.T) {
	for _, cost := range []int{4, 5, 11} {
		h, err := bcrypt.GenerateFromPassword([]byte("long enough"), cost)
		if err != nil {
			t.Fatal(err)
		}
		hashes := map[string][]byte{"zed": []byte("$2a$12$x"), "admin": h}
		if got, err := bcrypt.Cost(stand(hashes)); err != nil || got != cost {
			t.Errorf("unknown names compared at cost %d (%v), the file's first user's is %d", got, err, cost)
		}
	}
}

// FuzzPasswordFile: any file content is read or refused with its line,
// never a panic.
func FuzzPasswordFile(f *testing.F) {
	f.Add([]byte("admin:$2a$11$cz0Zh9NfihMsNnhJvAlOAO1OoE/FZkNtR.B0tJ6vENwix5snP7jHa\n"))
	f.Add([]byte("# comment\n\nadmin:$2y$10$x\nbackup:x\n"))
	f.Add([]byte(":\n\x00:$2"))
	f.Fuzz(func(t *testing.T, b []byte) {
		users, err := parsePasswords(b, "web.passwd")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "web.passwd") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		for u, h := range users {
			if u == "" || !strings.HasPrefix(string(h), "$2") {
				t.Fatalf("accepted %q:%q", u, h)
			}
		}
	})
}

// FuzzShown: a raw line becomes valid text without control characters,
// never longer than asked plus the note of its length.
func FuzzShown(f *testing.F) {
	f.Add([]byte("GET http://x.example/ 200"), 10)
	f.Add([]byte("\x00\xff\x1b[2J<script>"), 300)
	f.Fuzz(func(t *testing.T, raw []byte, max int) {
		if max < 0 || max > 1000 {
			return
		}
		s := shown(raw, max, int64(len(raw)))
		if !utf8.ValidString(s) {
			t.Fatalf("not UTF-8: %q", s)
		}
		for _, r := range s {
			if r < 0x20 || r == 0x7f {
				t.Fatalf("control character in %q", s)
			}
		}
		if n := utf8.RuneCountInString(strings.SplitN(s, " … (", 2)[0]); n > 4*max {
			t.Fatalf("%d characters for max %d", n, max)
		}
	})
}

// TestSetPasswordAsRootKeepsOwner: `ispacct web passwd` run as root (ssh
// root@box) leaves the file to the state folder's owner, the user the
// daemon runs as, who must read it.
func TestSetPasswordAsRootKeepsOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI runs as root")
		}
		t.Skip("needs root to give a folder to another user")
	}
	dir := t.TempDir()
	const nobody = 65534
	if err := os.Chown(dir, nobody, nobody); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "web.passwd")
	if err := SetPassword(file, "admin", "correct horse"); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if st := fi.Sys().(*syscall.Stat_t); st.Uid != nobody || st.Gid != nobody || fi.Mode().Perm() != 0o600 {
		t.Fatalf("password file %v owned by %d:%d, want 0600 and %d:%d", fi.Mode().Perm(), st.Uid, st.Gid, nobody, nobody)
	}
}
