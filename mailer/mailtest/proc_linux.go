package mailtest

import "syscall"

// DieWithUs makes a server end when the test process does, even if it is
// killed before its cleanup runs.
func DieWithUs() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
