package atomicfile

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
)

func TestWriteModes(t *testing.T) {
	tests := []struct {
		name      string
		umask     int
		perm      Perm
		file, dir os.FileMode
	}{
		{"private", 0o022, Private(0), 0o640, 0o750},
		{"private, loose umask", 0, Private(0), 0o640, 0o750},
		{"private, strict umask", 0o077, Private(0), 0o600, 0o700},
		{"public", 0o022, Public, 0o644, 0o755},
		{"zero perm is private", 0o022, Perm{}, 0o640, 0o750},
		{"zero perm, strict umask", 0o077, Perm{}, 0o600, 0o700},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old := syscall.Umask(tt.umask)
			defer syscall.Umask(old)
			path := filepath.Join(t.TempDir(), "a", "b", "acct.zip")
			if err := Write(path, tt.perm, func(w io.Writer) error { _, err := io.WriteString(w, "x"); return err }); err != nil {
				t.Fatal(err)
			}
			if fi, _ := os.Stat(path); fi.Mode().Perm() != tt.file {
				t.Errorf("file mode %o, want %o", fi.Mode().Perm(), tt.file)
			}
			for _, d := range []string{filepath.Dir(path), filepath.Dir(filepath.Dir(path))} {
				if fi, _ := os.Stat(d); fi.Mode().Perm() != tt.dir {
					t.Errorf("folder %s mode %o, want %o", d, fi.Mode().Perm(), tt.dir)
				}
			}
		})
	}
}

func TestWriteGroup(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI runs as root: giving files to another group needs it")
		}
		t.Skip("needs root to give files to another group")
	}
	const gid = 65534 // nogroup
	path := filepath.Join(t.TempDir(), "out", "acct.zip")
	if err := Write(path, Private(gid), func(w io.Writer) error { return nil }); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, filepath.Dir(path)} {
		fi, _ := os.Stat(p)
		if g := fi.Sys().(*syscall.Stat_t).Gid; g != gid {
			t.Errorf("%s: group %d, want %d", p, g, gid)
		}
	}
}

// deadPID returns the id of a process that has ended.
func deadPID(t *testing.T) int {
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

func TestSweep(t *testing.T) {
	dir := t.TempDir()
	dead := strconv.Itoa(deadPID(t))
	files := map[string]bool{ // name: removed
		".acct-2026-11-21.zip.tmp-" + dead + "-123":                      true,
		".acct-2026-11-21.zip.tmp-" + strconv.Itoa(os.Getpid()) + "-456": false, // this run's
		".acct-2026-11-21.zip.tmp-1-789":                                 false, // a live process's
		".acct-2026-11-21.zip.tmp-987654":                                false, // an older writer's, young
		"acct-2026-11-21.zip":                                            false,
		"acct-" + dead + ".zip":                                          false,
	}
	for name := range files {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Sweep(dir); err != nil {
		t.Fatal(err)
	}
	for name, gone := range files {
		_, err := os.Stat(filepath.Join(dir, name))
		if gone != os.IsNotExist(err) {
			t.Errorf("%s: removed %v, want %v", name, os.IsNotExist(err), gone)
		}
	}
}

func TestRunDir(t *testing.T) {
	parent := filepath.Join(t.TempDir(), "tmp")
	leftover := filepath.Join(parent, strconv.Itoa(deadPID(t))+"-1")
	live := filepath.Join(parent, "1-2")
	for _, d := range []string{leftover, live} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(d, "spool"), nil, 0o600)
	}
	dir, remove, err := RunDir(parent, Private(0))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(leftover); !os.IsNotExist(err) {
		t.Errorf("a dead run's folder is still there: %v", err)
	}
	if _, err := os.Stat(live); err != nil {
		t.Errorf("a live run's folder was removed: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "spool"), nil, 0o600)
	remove()
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("remove left %s: %v", dir, err)
	}
}
