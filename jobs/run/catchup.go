package run

import (
	"context"
	"fmt"
)

// CatchUp runs the chains of items (a Backlog) in order and returns what
// each did. A failure in a step every period shares (the database,
// ingest, rollup) stops it: the later periods would only fail the same
// way, and wait for the next tick. A failed archive or delivery concerns
// its own period, and the others go on. The error is the first failure.
func CatchUp(ctx context.Context, deps Deps, items []Item) ([]Result, error) {
	deps.init()
	var out []Result
	var first error
	for i, it := range items {
		if ctx.Err() != nil {
			break
		}
		res, err := Chain(ctx, deps, it.Job, it.Period)
		out = append(out, res)
		if err == nil {
			continue
		}
		if first == nil {
			first = err
		}
		if res.Step != StepArchive && res.Step != StepDeliver {
			if rest := len(items) - i - 1; rest > 0 && ctx.Err() == nil {
				deps.Log.Warn("later periods wait for the next run", "waiting", rest, "failed", fmt.Sprintf("%s %s", it.Job, it.Name))
			}
			break
		}
	}
	return out, first
}
