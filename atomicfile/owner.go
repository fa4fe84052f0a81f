package atomicfile

import (
	"os"
	"syscall"
)

// OwnLike gives path, when root writes it, to the owner and group of ref
// (a folder of the service user's): a file root makes there must stay
// readable by the daemon that runs as that user. As another user, or
// when ref is root's, it does nothing.
func OwnLike(path, ref string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	fi, err := os.Stat(ref)
	if err != nil {
		return err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || st.Uid == 0 {
		return nil
	}
	return os.Lchown(path, int(st.Uid), int(st.Gid))
}
