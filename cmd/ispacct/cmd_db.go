package main

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ispacct/ispacct/schema"
)

func newDBCommand() *command {
	return &command{
		name:    "db",
		args:    "start|stop|status|migrate",
		summary: "manage the database: the private cluster, the schema",
		help: `Without a configured server (no --db, DATABASE_URL, database.url or PG*
variables), ispacct runs its own PostgreSQL cluster in <state_dir>/pg,
listening on a Unix socket only, and starts it on demand.

  start    initialise the private cluster if needed and start it
  stop     stop the private cluster
  status   show which server is used, whether it runs, the schema version
  migrate  apply pending schema migrations (every command does this too)

Example:
  ispacct db status
  DATABASE_URL=postgres://acct@db.example/acct ispacct db status --json`,
		json: true,
		run:  runDB,
	}
}

func runDB(ctx context.Context, a *app, args []string) error {
	if len(args) != 1 {
		return usagef("want one of start, stop, status, migrate")
	}
	c := a.cluster()
	switch args[0] {
	case "start":
		if _, err := c.Start(ctx); err != nil {
			return err
		}
		if _, err := a.db(ctx); err != nil {
			return err
		}
		st, err := c.Status()
		if err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "private database running (pid %d)\n  data:    %s\n  connect: %s\n", st.PID, st.DataDir, st.ConnString)
		return nil
	case "stop":
		st, err := c.Status()
		if err != nil {
			return err
		}
		if !st.Running {
			fmt.Fprintf(a.stdout, "private database not running (data: %s)\n", st.DataDir)
			return nil
		}
		if err := c.Stop(ctx); err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "private database stopped (pid %d)\n", st.PID)
		return nil
	case "migrate":
		pool, err := a.db(ctx)
		if err != nil {
			return err
		}
		have, _, err := schema.Version(ctx, pool)
		if err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "schema at version %d\n", have)
		return nil
	case "status":
		return dbStatus(ctx, a)
	}
	return usagef("unknown db action %q: want start, stop, status or migrate", args[0])
}

type dbStatusJSON struct {
	Server        string                `json:"server"` // "private" or "configured"
	Target        string                `json:"target"`
	Reachable     bool                  `json:"reachable"`
	Error         string                `json:"error,omitempty"`
	SchemaVersion int                   `json:"schema_version"`
	SchemaKnown   int                   `json:"schema_known"`
	Private       *schema.ClusterStatus `json:"private,omitempty"`
}

func dbStatus(ctx context.Context, a *app) error {
	c := a.cluster()
	t, err := schema.ChooseTarget(a.dbURL, a.cfg.Database.URL, c)
	if err != nil {
		return err
	}
	if !t.Private {
		if _, err := pgx.ParseConfig(t.ConnString); err != nil {
			return a.badServer(err)
		}
	}
	out := dbStatusJSON{Server: "configured", Target: describe(t.ConnString)}
	if t.Private {
		st, err := c.Status()
		if err != nil {
			return err
		}
		out.Server, out.Private = "private", &st
	}
	// Status reports; it does not start anything.
	if !t.Private || out.Private.Running {
		pool, err := schema.Open(ctx, t.ConnString, a.cfg.Loc, a.log)
		if err != nil {
			out.Error = err.Error()
		} else {
			defer pool.Close()
			out.Reachable = true
			out.SchemaVersion, out.SchemaKnown, _ = schema.Version(ctx, pool)
		}
	}
	if a.jsonOut {
		return a.printJSON(out)
	}
	if out.Private != nil {
		state := "stopped (starts on demand)"
		if out.Private.Running {
			state = fmt.Sprintf("running, pid %d", out.Private.PID)
		}
		fmt.Fprintf(a.stdout, "server:   private cluster, %s\ndata:     %s\nsocket:   %s\n", state, out.Private.DataDir, out.Private.SocketDir)
		if out.Private.BinDir == "" {
			fmt.Fprintf(a.stdout, "binaries: not found (%v)\n", schema.ErrNoServerBinaries)
		}
	} else {
		fmt.Fprintf(a.stdout, "server:   %s\n", out.Target)
	}
	switch {
	case out.Reachable:
		fmt.Fprintf(a.stdout, "schema:   version %d of %d\n", out.SchemaVersion, out.SchemaKnown)
	case out.Error != "":
		fmt.Fprintf(a.stdout, "error:    %s\n", out.Error)
		return fmt.Errorf("database not reachable")
	}
	return nil
}

// describe names a server without its password.
func describe(conn string) string {
	cfg, err := pgx.ParseConfig(conn)
	if err != nil {
		return "(unparsable connection string)"
	}
	return schema.Describe(cfg)
}
