package atomicfile

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Perm says who may read what is written: the file's mode, the mode of
// folders made on the way to it, and their group. The process's umask
// still applies where it is stricter.
type Perm struct {
	File fs.FileMode
	Dir  fs.FileMode
	// Group is the group id given to files and the folders made; 0 leaves
	// the creator's.
	Group int
}

// Private is for billing data (archives, the outbox, the state folder):
// the owner and one group, nobody else.
func Private(group int) Perm { return Perm{File: 0o640, Dir: 0o750, Group: group} }

// Public is for what holds no personal data and other programs read
// under their own user: the metrics for node_exporter.
var Public = Perm{File: 0o644, Dir: 0o755}

// The zero Perm is Private's modes, under the umask as any other.
func (p Perm) file() fs.FileMode {
	m := p.File
	if m == 0 {
		m = 0o640
	}
	return m &^ umask()
}

func (p Perm) dir() fs.FileMode {
	m := p.Dir
	if m == 0 {
		m = 0o750
	}
	return m &^ umask()
}

// apply sets the mode and group of an open file.
func (p Perm) apply(f *os.File) error {
	if p.Group != 0 {
		if err := f.Chown(-1, p.Group); err != nil {
			return fmt.Errorf("give to group %d: %w", p.Group, err)
		}
	}
	// After the chown: changing a file's group may clear set-id bits, and
	// the mode is then what was asked.
	return f.Chmod(p.file())
}

// MkdirAll makes dir and its missing parents with the folder mode and
// group. Folders that exist keep theirs: they are the administrator's.
func (p Perm) MkdirAll(dir string) error {
	fi, err := os.Stat(dir)
	if err == nil {
		if !fi.IsDir() {
			return fmt.Errorf("%q is not a folder", dir)
		}
		return nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if parent := filepath.Dir(dir); parent != dir {
		if err := p.MkdirAll(parent); err != nil {
			return err
		}
	}
	if err := os.Mkdir(dir, p.dir()); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil // made by a concurrent run
		}
		return err
	}
	if p.Group != 0 {
		if err := os.Lchown(dir, -1, p.Group); err != nil {
			return fmt.Errorf("give %q to group %d: %w", dir, p.Group, err)
		}
	}
	// Mkdir's mode passed through the umask already; Chmod makes it exact
	// (a umask looser than the mode asked for must not matter either).
	return os.Chmod(dir, p.dir())
}

// umask reads the process's umask without changing it (syscall.Umask
// would set it for every thread while it reads). Unknown: 0.
func umask() fs.FileMode {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "Umask:"); ok {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 8, 32)
			if err != nil {
				return 0
			}
			return fs.FileMode(n) & 0o777
		}
	}
	return 0
}
