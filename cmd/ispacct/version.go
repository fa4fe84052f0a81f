package main

import (
	"context"
	"fmt"
	"runtime/debug"
)

func newVersionCommand() *command {
	return &command{
		name:     "version",
		summary:  "print the version",
		help:     "Prints the version of this ispacct binary (also: ispacct --version).\n\nExample:\n  ispacct version",
		noConfig: true,
		run: func(ctx context.Context, a *app, args []string) error {
			if len(args) > 0 {
				return usagef("unexpected arguments %q", args)
			}
			fmt.Fprintln(a.stdout, "ispacct", version())
			return nil
		},
	}
}

func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}
