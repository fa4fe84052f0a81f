package schema

import (
	"context"
	"os"
)

// Target is the server a command talks to.
type Target struct {
	ConnString string
	Private    bool // the private cluster under the state folder
}

// pgEnv are the libpq variables that, set alone, select a server.
var pgEnv = []string{"PGHOST", "PGHOSTADDR", "PGDATABASE", "PGSERVICE", "PGPORT", "PGUSER"}

// ChooseTarget picks the server: a --db flag, else the configured URL
// (DATABASE_URL overrides the file's), else the standard PG* variables,
// else the private cluster.
func ChooseTarget(flagURL, configURL string, cluster *Cluster) (Target, error) {
	switch {
	case flagURL != "":
		return Target{ConnString: flagURL}, nil
	case configURL != "":
		return Target{ConnString: configURL}, nil
	}
	for _, v := range pgEnv {
		if os.Getenv(v) != "" {
			return Target{ConnString: ""}, nil // pgx reads the PG* variables itself
		}
	}
	conn, err := cluster.ConnString()
	return Target{ConnString: conn, Private: true}, err
}

// Ensure starts the private cluster if the target is it.
func (t Target) Ensure(ctx context.Context, cluster *Cluster) error {
	if !t.Private {
		return nil
	}
	_, err := cluster.Start(ctx)
	return err
}
