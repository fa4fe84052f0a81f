// Command ispacct is the ISP accounting suite: it ingests the logs of the
// proxy, web and mail servers into PostgreSQL and writes the archives the
// administrator receives. This package only parses flags and wires the
// parts together.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // time zones work on hosts without /usr/share/zoneinfo
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
