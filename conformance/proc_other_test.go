//go:build !linux

package conformance

import "syscall"

func dieWithUs() *syscall.SysProcAttr { return nil }
