//go:build !linux

package mailtest

import "syscall"

func dieWithUs() *syscall.SysProcAttr { return nil }
