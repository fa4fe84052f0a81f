package config

import (
	"os"
	"path/filepath"
	"strings"
	"time"
)

// systemZone names the host's time zone as an IANA name ("Europe/Berlin"),
// which PostgreSQL understands; Go's "Local" it does not. It looks at TZ,
// the /etc/localtime link and /etc/timezone, and falls back to UTC.
func systemZone() string {
	if tz := strings.TrimPrefix(os.Getenv("TZ"), ":"); tz != "" {
		if _, err := time.LoadLocation(tz); err == nil {
			return tz
		}
	}
	if target, err := filepath.EvalSymlinks("/etc/localtime"); err == nil {
		if _, name, ok := strings.Cut(target, "/zoneinfo/"); ok {
			if _, err := time.LoadLocation(name); err == nil {
				return name
			}
		}
	}
	if b, err := os.ReadFile("/etc/timezone"); err == nil {
		name := strings.TrimSpace(string(b))
		if _, err := time.LoadLocation(name); err == nil && name != "" {
			return name
		}
	}
	return "UTC"
}
