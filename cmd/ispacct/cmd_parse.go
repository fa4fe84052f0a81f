package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ispacct/ispacct/archive"
	"github.com/ispacct/ispacct/config"
	"github.com/ispacct/ispacct/jobs/ingest"
	"github.com/ispacct/ispacct/parsers"
	"github.com/ispacct/ispacct/schema"
)

type parseOptions struct{ format, vhost string }

func newParseCommand() *command {
	var opts parseOptions
	return &command{
		name:    "parse",
		args:    "--format FORMAT FILE...",
		summary: "print a log's records as an .asc file, and its rejects (reads only)",
		help: `Reads log files (plain or compressed, in the order given) the way ingest
would and prints the records in the layout of their table's .asc file
(proxy.asc, http.asc or mail.asc), header first. Rejected lines go to
stderr with file, line and reason; the exit code is then 3. For proxy
logs, lan_name comes from landefs when a database is configured or the
private one runs; otherwise it is empty. Nothing is written anywhere.

Formats: ` + strings.Join(config.FormatNames(), ", ") + `.

Example:
  ispacct parse --format squid /var/log/squid/access.log | less
  ispacct parse --format postfix /var/log/mail.log.1 /var/log/mail.log > mail.asc`,
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&opts.format, "format", "", "the files' log format")
			fs.StringVar(&opts.vhost, "vhost", "", "per-virtual-host Apache logs: the vhost of the FILEs")
		},
		run: func(ctx context.Context, a *app, args []string) error { return runParse(ctx, a, opts, args) },
	}
}

func runParse(ctx context.Context, a *app, opts parseOptions, files []string) error {
	f, ok := parsers.LookupFormat(opts.format)
	if !ok {
		return usagef("--format %q: want one of %s", opts.format, strings.Join(config.FormatNames(), ", "))
	}
	if len(files) == 0 {
		return usagef("name the files to read")
	}
	// As ingest would refuse them: a per-vhost log needs its vhost.
	if err := ingest.CheckSource(ingest.Source{Name: f.Name, Format: f.Name, Files: files, VHost: opts.vhost}); err != nil {
		return usagef("%v", err)
	}
	dec, err := ingest.NewDecoder(f.Name, opts.vhost, parseLANs(ctx, a, f), a.cfg.Loc)
	if err != nil {
		return err
	}
	w, err := archive.NewASC(a.stdout, a.cfg.Loc, dec.Header())
	if err != nil {
		return err
	}
	var (
		rejects int
		unread  []string
	)
	for _, path := range files {
		lf, err := ingest.OpenLog(path)
		if err != nil {
			unread = append(unread, fmt.Sprintf("%s: %v", path, err))
			continue
		}
		dec.StartFile(lf.ModTime)
		lr := parsers.NewLineReader(lf, 0, 0)
		lr.Final = true // print an unterminated last line too
		for {
			line, err := lr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil && !errors.Is(err, parsers.ErrLineTooLong) {
				unread = append(unread, fmt.Sprintf("%s at line %d: %v", path, lr.Line()+1, err))
				break
			}
			if err == nil {
				var n int
				n, err = dec.Parse(line)
				for i := 0; i < n && err == nil; i++ {
					err = dec.WriteASC(w, i)
				}
			}
			if err != nil {
				rejects++
				fmt.Fprintf(a.stderr, "%s:%d: %s: %q\n", path, lr.Line(), parsers.Reason(err), line)
			}
		}
		lf.Close()
	}
	if err := w.Flush(); err != nil {
		return err
	}
	switch {
	case len(unread) > 0:
		return &partialError{"not read: " + strings.Join(unread, "; ")}
	case rejects > 0:
		return &partialError{fmt.Sprintf("%s rejected", plural(int64(rejects), "line"))}
	}
	return nil
}

// parseLANs reads landefs when a database can be had without starting one.
func parseLANs(ctx context.Context, a *app, f parsers.Format) *ingest.LANs {
	none := &ingest.LANs{}
	if f.Table != parsers.TableProxy {
		return none
	}
	c := a.cluster()
	t, err := schema.ChooseTarget(a.dbURL, a.cfg.Database.URL, c)
	if err != nil {
		return none
	}
	if t.Private {
		if st, err := c.Status(); err != nil || !st.Running {
			return none
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	pool, err := a.db(ctx)
	if err != nil {
		a.log.Warn("lan_name left empty: no database", "err", err)
		return none
	}
	lans, err := ingest.LoadLANs(ctx, pool)
	if err != nil {
		a.log.Warn("lan_name left empty", "err", err)
		return none
	}
	return lans
}
