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
	"github.com/ispacct/ispacct/jobs/ingest"
	"github.com/ispacct/ispacct/parsers"
	"github.com/ispacct/ispacct/schema"
)

func init() {
	var format, vhost string
	register(&command{
		name:    "parse",
		args:    "--format FORMAT FILE...",
		summary: "print a log's records as an .asc file, and its rejects (reads only)",
		help: `Reads log files (plain or compressed, in the order given) the way ingest
would and prints the records in the layout of their table's .asc file
(proxy.asc, http.asc or mail.asc), header first. Rejected lines go to
stderr with file, line and reason; the exit code is then 3. For proxy
logs, lan_name comes from landefs when a database is configured or the
private one runs; otherwise it is empty. Nothing is written anywhere.

Formats: ` + strings.Join(formatNames(), ", ") + `.

Example:
  ispacct parse --format squid /var/log/squid/access.log | less
  ispacct parse --format postfix /var/log/mail.log.1 /var/log/mail.log > mail.asc`,
		setup: func(fs *flag.FlagSet, a *app) {
			fs.StringVar(&format, "format", "", "the files' log format")
			fs.StringVar(&vhost, "vhost", "", "per-virtual-host Apache logs: the vhost of the FILEs")
		},
		run: func(ctx context.Context, a *app, args []string) error {
			f, ok := parsers.LookupFormat(format)
			if !ok {
				return usagef("--format %q: want one of %s", format, strings.Join(formatNames(), ", "))
			}
			if len(args) == 0 {
				return usagef("name the files to read")
			}
			return runParse(ctx, a, f, vhost, args)
		},
	})
}

func formatNames() []string {
	var n []string
	for _, f := range parsers.Formats {
		n = append(n, f.Name)
	}
	return n
}

func runParse(ctx context.Context, a *app, f parsers.Format, vhost string, files []string) error {
	header := map[parsers.Table]string{parsers.TableProxy: archive.ProxyHeader, parsers.TableHTTP: archive.HTTPHeader, parsers.TableMTA: archive.MailHeader}[f.Table]
	w, err := archive.NewASC(a.stdout, a.cfg.Loc, header)
	if err != nil {
		return err
	}
	lans := parseLANs(ctx, a, f)
	var (
		proxy   parsers.ProxyParser
		http    parsers.HTTPParser
		mail    *parsers.MailLog
		prec    parsers.Proxy
		hrec    parsers.HTTP
		rejects int
		unread  []string
	)
	switch f.Table {
	case parsers.TableProxy:
		proxy = f.NewProxy()
	case parsers.TableHTTP:
		http = f.NewHTTP(vhost)
	case parsers.TableMTA:
		mail = f.NewMail(parsers.MailOptions{Location: a.cfg.Loc})
	}
	for _, path := range files {
		lf, err := ingest.OpenLog(path)
		if err != nil {
			unread = append(unread, fmt.Sprintf("%s: %v", path, err))
			continue
		}
		if mail != nil {
			mail.SetReference(lf.ModTime)
		}
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
				switch {
				case proxy != nil:
					if err = proxy.Parse(line, &prec); err == nil {
						lan, _ := lans.Lookup(prec.Client)
						err = w.Proxy(lan, &prec)
					}
				case http != nil:
					if err = http.Parse(line, &hrec); err == nil {
						err = w.HTTP(&hrec)
					}
				default:
					var rows []parsers.Mail
					rows, err = mail.Parse(line)
					for i := range rows {
						if werr := w.Mail(&rows[i]); werr != nil {
							err = werr
						}
					}
				}
			}
			if err != nil && !errors.Is(err, parsers.ErrBlank) {
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
		return &partialError{fmt.Sprintf("%d line(s) rejected", rejects)}
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
