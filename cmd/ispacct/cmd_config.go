package main

import (
	"context"
	"fmt"

	"github.com/BurntSushi/toml"

	"github.com/ispacct/ispacct/config"
	"github.com/ispacct/ispacct/jobs/ingest"
)

func newConfigCommand() *command {
	return &command{
		name:    "config",
		args:    "",
		summary: "check the configuration and print it as ispacct sees it",
		help: `Loads the configuration (--config, ./ispacct.toml or
/etc/ispacct/ispacct.toml), applies the environment (DATABASE_URL,
ISPACCT_STATE_DIR, ISPACCT_TIMEZONE), validates it and prints the result
with defaults filled in. Passwords in the database URL are masked in every
form it may take (URL or key=value); the SMTP password is never printed.
Exits 2 naming the key, the value and why when something is wrong. Warns
(on stderr, exit 0) of what is valid but likely a mistake: a source whose
paths match no file, and no delivery (SMTP or Maildir) configured.

Example:
  ispacct config --config /etc/ispacct/ispacct.toml`,
		run: runConfig,
	}
}

func runConfig(ctx context.Context, a *app, args []string) error {
	if len(args) > 0 {
		return usagef("unexpected arguments %q", args)
	}
	c := *a.cfg
	c.Database.URL = config.MaskConnString(c.Database.URL)
	if c.File != "" {
		fmt.Fprintf(a.stdout, "# from %s\n", c.File)
	} else {
		fmt.Fprintln(a.stdout, "# no configuration file: defaults and environment")
	}
	if err := toml.NewEncoder(a.stdout).Encode(c); err != nil {
		return err
	}
	for _, s := range c.Sources {
		if files, err := ingest.Expand(s.Paths); err == nil && len(files) == 0 {
			fmt.Fprintf(a.stderr, "warning: %s\n", ingest.NoMatch(s.Name, s.Paths))
		}
	}
	if !c.Mail.Delivers() {
		fmt.Fprintln(a.stderr, "warning: neither mail.smtp.host nor mail.maildir is set: archives are not delivered, and failed or partly done runs mail nobody")
	}
	return nil
}
