package atomicfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Temporary files carry the writer's process id in their name
// (.<name>.tmp-<pid>-<random>), so that a run can tell the leftovers of a
// killed run, whose process is gone, from the files of a run still going:
// a temporary file is removed by its writer on any error, but SIGKILL or
// a power cut leaves it.

func tempPattern(base string) string {
	return "." + base + ".tmp-" + strconv.Itoa(os.Getpid()) + "-*"
}

// oldLeftover is the age after which a temporary file named without a
// process id (written by an older ispacct) is taken as left over.
const oldLeftover = 24 * time.Hour

// Sweep removes from dir the temporary files left by runs that died:
// those whose process id is no longer alive. It returns what it removed.
func Sweep(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sweep %q: %w", dir, err)
	}
	var removed []string
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, ".") || e.IsDir() {
			continue
		}
		i := strings.LastIndex(name, ".tmp-")
		if i < 0 {
			continue
		}
		if !ownerGone(filepath.Join(dir, name), name[i+len(".tmp-"):]) {
			continue
		}
		p := filepath.Join(dir, name)
		if err := os.Remove(p); err == nil {
			removed = append(removed, p)
		}
	}
	return removed, nil
}

// ownerGone reads "<pid>-<random>" and says whether that process is gone.
// A name without a process id is an older writer's: gone once it is old.
func ownerGone(path, tail string) bool {
	pidText, _, ok := strings.Cut(tail, "-")
	pid, err := strconv.Atoi(pidText)
	if !ok || err != nil || pid <= 0 {
		fi, err := os.Stat(path)
		return err == nil && time.Since(fi.ModTime()) > oldLeftover
	}
	return !alive(pid)
}

// alive says whether a process with this id exists. A process of another
// user (EPERM) exists too.
func alive(pid int) bool {
	if pid == os.Getpid() {
		return true
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// RunDir makes a folder of this process's own under parent for temporary
// files (parent/<pid>-<random>), first removing the folders of runs that
// died. remove deletes it with everything in it; call it however the run
// ends.
func RunDir(parent string, perm Perm) (dir string, remove func(), err error) {
	if err := perm.MkdirAll(parent); err != nil {
		return "", nil, fmt.Errorf("temporary folder %q: %w", parent, err)
	}
	if err := SweepRunDirs(parent); err != nil {
		return "", nil, err
	}
	dir, err = os.MkdirTemp(parent, strconv.Itoa(os.Getpid())+"-*")
	if err != nil {
		return "", nil, fmt.Errorf("temporary folder: %w", err)
	}
	return dir, func() { os.RemoveAll(dir) }, nil
}

// SweepRunDirs removes the run folders (RunDir) of dead processes under
// parent, and the workbook spool files an older ispacct wrote into parent
// itself once they are older than oldLeftover.
func SweepRunDirs(parent string) error {
	entries, err := os.ReadDir(parent)
	if err != nil {
		return fmt.Errorf("sweep %q: %w", parent, err)
	}
	for _, e := range entries {
		p := filepath.Join(parent, e.Name())
		if !e.IsDir() {
			old := strings.HasPrefix(e.Name(), "ispacct-xlsx-") || strings.HasPrefix(e.Name(), "excelize-")
			if fi, err := e.Info(); err == nil && old && time.Since(fi.ModTime()) > oldLeftover {
				os.Remove(p)
			}
			continue
		}
		pidText, _, ok := strings.Cut(e.Name(), "-")
		if pid, err := strconv.Atoi(pidText); ok && err == nil && pid > 0 && !alive(pid) {
			os.RemoveAll(p)
		}
	}
	return nil
}
