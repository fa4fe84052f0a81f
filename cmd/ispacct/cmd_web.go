package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/ispacct/ispacct/config"
	"github.com/ispacct/ispacct/web"
)

type webOptions struct {
	listen string
	user   string
}

func newWebCommand() *command {
	var opts webOptions
	return &command{
		name:    "web",
		args:    "[passwd]",
		summary: "serve the administrator's web page, or set its password (passwd)",
		help: `Serves the administrator's web page until stopped: what ran and what
waits, traffic per LAN, virtual host and mailbox, the archives to
download, a form that rebuilds and re-sends the archives of a date range,
the LAN prefixes and the rejected lines. It listens on web.listen, else
127.0.0.1:8080: loopback only, so reach it over SSH
  ssh -L 8080:127.0.0.1:8080 root@box     then open http://127.0.0.1:8080/
or set web.listen to the maintenance VLAN's address (10.0.1.1:8080). With
web.cert and web.key it speaks HTTPS. 'ispacct daemon' serves the same
page when web.listen is set.

'ispacct web passwd' sets the password of --user (default admin) in
web.password_file (default <state_dir>/web.passwd, mode 0600) as a bcrypt
hash. It asks twice on a terminal, or reads one line from standard input.

Example:
  ispacct web passwd
  ispacct web --listen 10.0.1.1:8080`,
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&opts.listen, "listen", "", "`host:port` to listen on (default web.listen, else "+config.DefaultWebListen+")")
			fs.StringVar(&opts.user, "user", "admin", "passwd: the user `name` whose password is set")
		},
		run: func(ctx context.Context, a *app, args []string) error { return runWeb(ctx, a, opts, args) },
	}
}

func runWeb(ctx context.Context, a *app, opts webOptions, args []string) error {
	if len(args) == 1 && args[0] == "passwd" {
		return runWebPasswd(ctx, a, opts, os.Stdin)
	}
	if len(args) > 0 {
		return usagef("unexpected arguments %q (only \"passwd\")", args)
	}
	addr := opts.listen
	if addr == "" {
		addr = a.cfg.Web.Listen
	}
	if addr == "" {
		addr = config.DefaultWebListen
	}
	if err := config.CheckListen(addr); err != nil {
		return usagef("--listen %q: %v", addr, err)
	}
	pool, err := a.db(ctx)
	if err != nil {
		return err
	}
	if _, err := os.Stat(a.cfg.Web.PasswordFile); errors.Is(err, os.ErrNotExist) {
		a.log.Warn("no web password set: nobody can log in until 'ispacct web passwd' sets one", "file", a.cfg.Web.PasswordFile)
	}
	return web.Serve(ctx, addr, web.Options{Config: a.cfg, Pool: pool, Log: a.log})
}

func runWebPasswd(ctx context.Context, a *app, opts webOptions, in *os.File) error {
	if err := web.CheckUserName(opts.user); err != nil {
		return usagef("--user: %v", err)
	}
	var pw string
	if isTerminal(in) {
		p1, err := askHidden(ctx, a.stderr, in, fmt.Sprintf("New web password for %s: ", opts.user))
		if err != nil {
			return err
		}
		p2, err := askHidden(ctx, a.stderr, in, "Again: ")
		if err != nil {
			return err
		}
		if p1 != p2 {
			return usagef("the two passwords differ; nothing changed")
		}
		pw = p1
	} else {
		line, err := bufio.NewReader(in).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read password: %w", err)
		}
		pw = strings.TrimRight(line, "\r\n")
	}
	if err := web.SetPassword(a.cfg.Web.PasswordFile, opts.user, pw); err != nil {
		return usagef("%v", err)
	}
	a.log.Info("web password set", "user", opts.user, "file", a.cfg.Web.PasswordFile)
	fmt.Fprintf(a.stdout, "password of %s set in %s\n", opts.user, a.cfg.Web.PasswordFile)
	return nil
}

// askHidden reads a line from the terminal without echoing it. Ctrl-C
// (ctx ending) gives up at once, the echo back on: the signal is caught
// for a clean exit, so the read itself would wait for Enter.
func askHidden(ctx context.Context, w io.Writer, in *os.File, prompt string) (string, error) {
	fd := int(in.Fd())
	old, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return "", fmt.Errorf("terminal: %w", err)
	}
	quiet := *old
	quiet.Lflag &^= unix.ECHO
	quiet.Lflag |= unix.ICANON | unix.ISIG
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, &quiet); err != nil {
		return "", fmt.Errorf("terminal: %w", err)
	}
	defer unix.IoctlSetTermios(fd, unix.TCSETS, old)
	fmt.Fprint(w, prompt)
	type read struct {
		line string
		err  error
	}
	got := make(chan read, 1)
	// Left blocked on the terminal if ctx ends first; the process is
	// about to exit then.
	go func() {
		line, err := bufio.NewReader(in).ReadString('\n')
		got <- read{line, err}
	}()
	select {
	case <-ctx.Done():
		fmt.Fprintln(w)
		return "", fmt.Errorf("no password read: %w", ctx.Err())
	case r := <-got:
		fmt.Fprintln(w)
		if r.err != nil && !errors.Is(r.err, io.EOF) {
			return "", fmt.Errorf("read password: %w", r.err)
		}
		return strings.TrimRight(r.line, "\r\n"), nil
	}
}
