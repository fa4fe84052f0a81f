package rollup

import (
	"log/slog"

	"github.com/ispacct/ispacct/config"
)

// FromConfig is the one place rollup's options are taken from the
// configuration, for the commands and the chain alike.
func FromConfig(c *config.Config, log *slog.Logger) Options {
	return Options{Loc: c.Loc, LocalDomains: c.Rollup.LocalDomains, Log: log}
}
