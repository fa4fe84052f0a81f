//go:build !linux

package parsers

import "time"

func threadCPU() time.Duration { return 0 }
