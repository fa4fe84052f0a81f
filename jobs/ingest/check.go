package ingest

import (
	"fmt"

	"github.com/ispacct/ispacct/parsers"
)

// CheckSource says what makes src unfit to ingest before anything is
// read: an unknown format, or per-virtual-host Apache logs without their
// vhost, whose rows would have no vhost to account them to (and would
// stop every later rollup).
func CheckSource(src Source) error {
	f, ok := parsers.LookupFormat(src.Format)
	if !ok {
		return fmt.Errorf("unknown format %q", src.Format)
	}
	if f.NeedsVHost() && src.VHost == "" {
		return fmt.Errorf("source %s: format %s does not name the virtual host in its lines: "+
			"add --vhost NAME (or the source's vhost key in the configuration), or use apache-vhost for vhost_combined logs",
			src.Name, src.Format)
	}
	return nil
}
