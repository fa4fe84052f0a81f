package conformance

import "syscall"

// dieWithUs makes a server end when the test process does, even if it is
// killed before its cleanup runs.
func dieWithUs() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
