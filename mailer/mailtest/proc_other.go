//go:build !linux

package mailtest

import "syscall"

func DieWithUs() *syscall.SysProcAttr { return nil }
