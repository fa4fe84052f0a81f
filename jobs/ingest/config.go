package ingest

import (
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/ispacct/ispacct/config"
	"github.com/ispacct/ispacct/parsers"
)

// FromConfig is the one place ingest's options are taken from the
// configuration: the ingest and backfill commands and the nightly chain
// all start here, so a setting can't reach one road and miss another.
// now anchors the window of plausible times.
func FromConfig(c *config.Config, now time.Time, log *slog.Logger) Options {
	return Options{
		Loc:             c.Loc,
		NotBefore:       now.AddDate(0, 0, -c.Ingest.MaxAgeDays),
		NotAfter:        now.Add(time.Duration(c.Ingest.FutureMinutes) * time.Minute),
		BatchBytes:      c.Ingest.BatchKB << 10,
		RejectThreshold: c.Ingest.RejectThreshold,
		// A held file's fix names a command: it must reach this database.
		CommandFlags: c.Flag(),
		Detect:       detect,
		Log:          log,
	}
}

// Backfill narrows the options to a backfill of the local days from up to
// end (exclusive): rows outside are left out and counted, not rejected as
// clock errors, and rejects of old logs are listed without making the run
// partly done.
func (o Options) Backfill(from, end time.Time) Options {
	o.NotBefore, o.NotAfter, o.Outside = from, end, true
	o.RejectThreshold = 1
	return o
}

// Sources are the configured sources with their files found, all of them
// or only those named (an unknown name is an error).
func Sources(c *config.Config, names []string) ([]Source, error) {
	for _, n := range names {
		if _, ok := c.Source(n); !ok {
			return nil, fmt.Errorf("no source %q in the configuration", n)
		}
	}
	var out []Source
	for _, s := range c.Sources {
		if len(names) > 0 && !slices.Contains(names, s.Name) {
			continue
		}
		files, err := Expand(s.Paths)
		if err != nil {
			return nil, fmt.Errorf("source %s: %w", s.Name, err)
		}
		out = append(out, Source{Name: s.Name, Format: s.Format, Files: files, VHost: s.VHost, Globs: s.Paths})
	}
	return out, nil
}

// detect names the known format a file's first lines are in, so that a
// file held for not parsing says which --format reads it.
func detect(lines [][]byte) (string, bool) {
	d, ok := parsers.Detect(lines)
	return d.Format, ok
}
