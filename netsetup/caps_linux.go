package netsetup

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// checkNetAdmin fails early, before anything is changed, when the process
// lacks CAP_NET_ADMIN: the kernel would refuse the first change with EPERM
// and a later one could not be undone.
func checkNetAdmin() error {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return fmt.Errorf("read own capabilities: %w", err)
	}
	if data[0].Effective&(1<<unix.CAP_NET_ADMIN) == 0 {
		return errors.New("changing network interfaces needs CAP_NET_ADMIN (run as root), nothing changed")
	}
	return nil
}
