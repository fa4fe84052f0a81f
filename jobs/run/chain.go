package run

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"slices"
	"time"

	"github.com/ispacct/ispacct/jobs/deliver"
	"github.com/ispacct/ispacct/jobs/ingest"
	"github.com/ispacct/ispacct/jobs/landefs"
	"github.com/ispacct/ispacct/jobs/maintain"
	"github.com/ispacct/ispacct/jobs/report"
	"github.com/ispacct/ispacct/jobs/rollup"
	"github.com/ispacct/ispacct/netsetup"
)

// chainRun is one chain under way: the steps fill in its result. A step
// returns an error only for a failure that ends the run; what it had to
// leave out (an unreadable file, a message that waits) makes the run
// partial instead.
type chainRun struct {
	deps Deps
	p    report.Period
	res  *Result
	log  *slog.Logger // the chain's own lines: job, period, run
	// jobLog is for the jobs the steps call, which name their period.
	jobLog *slog.Logger
	// attention is what was left out that the administrator must see to
	// (see partial and waits).
	attention []string
}

func (c *chainRun) skip(step, why string) {
	if c.res.Skipped == nil {
		c.res.Skipped = map[string]string{}
	}
	c.res.Skipped[step] = why
	c.log.Info("step skipped", "step", step, "why", why)
}

// partial records what the run left out that the administrator must see
// to: the run is partial and mails a notice.
func (c *chainRun) partial(step, why string) {
	c.attention = append(c.attention, why)
	c.waits(step, why)
}

// waits records what the run left out that sorts itself out (a message
// the outbox retries): the run is partial, and no notice is sent.
func (c *chainRun) waits(step, why string) {
	c.res.Partial = append(c.res.Partial, why)
	c.log.Warn("step partly done", "step", step, "why", why)
}

// landefs makes the LAN names follow vlan.config before ingest assigns
// clients to LANs, so a renamed or added VLAN needs no separate step.
func (c *chainRun) landefs(ctx context.Context) error {
	cfg := c.deps.Cfg
	path := cfg.Netsetup.VLANConfig
	vlans, err := netsetup.ReadConfig(path)
	if errors.Is(err, fs.ErrNotExist) {
		c.skip(StepLandefs, fmt.Sprintf("no vlan.config at %q: LAN names stay as they are", path))
		return nil
	}
	if err != nil {
		c.partial(StepLandefs, fmt.Sprintf("LAN names not synced: %v", err))
		return nil
	}
	plan, err := netsetup.NewPlan(cfg.Netsetup.Parent, vlans)
	if err != nil {
		c.partial(StepLandefs, fmt.Sprintf("LAN names not synced from %q: %v", path, err))
		return nil
	}
	r := LandefsResult{File: path, LANs: len(plan.CustomerLANs())}
	synced, err := landefs.Sync(ctx, c.deps.Pool, plan, false)
	if err != nil {
		return fmt.Errorf("from %q: %w", path, err)
	}
	r.Added, r.Updated, r.Removed = synced.Count(landefs.ChangeAdd), synced.Count(landefs.ChangeRename), synced.Count(landefs.ChangeRemove)
	for _, ch := range synced.Changes {
		if ch.Kind == landefs.ChangeKept {
			r.Kept = append(r.Kept, ch)
			c.log.Warn("landefs: a prefix added by hand is kept against vlan.config", "prefix", ch.Prefix, "lan", ch.LAN, "vlan_config_name", ch.Was)
		}
	}
	c.res.Landefs = &r
	c.log.Info("landefs synced", "file", path, "lans", r.LANs, "added", r.Added, "updated", r.Updated, "removed", r.Removed)
	return nil
}

// ingest loads every configured source. It waits for a manual ingest of
// the same table rather than failing.
func (c *chainRun) ingest(ctx context.Context) error {
	cfg := c.deps.Cfg
	if len(cfg.Sources) == 0 {
		c.skip(StepIngest, "no [[source]] configured")
		return nil
	}
	opt := ingest.FromConfig(cfg, c.deps.Now(), c.jobLog)
	opt.Wait = true
	opt.Progress = c.deps.Progress
	opt.Tally = tally(c.res.ID) // the ledger counts rows as their batches commit
	srcs, err := ingest.Sources(cfg, nil)
	if err != nil {
		return err
	}
	for _, src := range srcs {
		r, err := ingest.Run(ctx, c.deps.Pool, src, opt)
		if r != nil {
			c.res.Ingest = append(c.res.Ingest, r)
			c.res.Sources = append(c.res.Sources, SourceRun{Source: src.Name, Files: r.Files, Lines: r.Lines,
				Rows: r.Rows, Rejects: r.Rejects, FileErrors: len(r.FileErrors)})
			c.res.Rows += r.Rows
			c.res.Rejects += r.Rejects
		}
		if err != nil {
			return fmt.Errorf("source %s: %w", src.Name, err)
		}
		for _, why := range ingest.LeftOut(src, r, opt.RejectThreshold) {
			c.partial(StepIngest, why)
		}
	}
	return nil
}

// rollup recomputes the days ingest touched (this run's and any left over).
// A daily chain leaves its own day to the archive, which reads its rows
// anyway and rolls them up as it goes (report.Options.Rollup).
func (c *chainRun) rollup(ctx context.Context) error {
	opt := rollup.FromConfig(c.deps.Cfg, c.jobLog)
	if c.p.Kind == "day" {
		for _, tb := range rollup.Tables {
			opt.Leave = append(opt.Leave, rollup.DayTable{Table: tb.Table, Day: c.p.Name()})
		}
	}
	r, err := rollup.Run(ctx, c.deps.Pool, time.Time{}, time.Time{}, opt)
	if err != nil {
		return err
	}
	c.res.Rollup = r
	return nil
}

// archive builds the period's archive afresh: rows may have arrived since
// an earlier build, and the same rows give the same bytes. Its options are
// those of 'ispacct report', so the chain's archive is that command's to
// the byte; it rolls up what the rollup step left to it.
func (c *chainRun) archive(ctx context.Context) error {
	opt := report.FromConfig(c.deps.Cfg, "", c.jobLog)
	ro := rollup.FromConfig(c.deps.Cfg, c.jobLog)
	opt.Rollup = &ro
	r, err := report.Build(ctx, c.deps.Pool, c.p, opt)
	if err != nil {
		return err
	}
	c.res.Archive = r
	if c.res.Rollup != nil && len(r.RolledUp) > 0 {
		rec := append(c.res.Rollup.Recomputed, r.RolledUp...)
		slices.SortFunc(rec, func(a, b rollup.DayTable) int {
			return cmp.Or(cmp.Compare(a.Day, b.Day), cmp.Compare(a.Table, b.Table))
		})
		c.res.Rollup.Recomputed = rec
	}
	return nil
}

// deliver queues the archive (once per period and channel) and sends what
// is due in the outbox.
func (c *chainRun) deliver(ctx context.Context) error {
	cfg := c.deps.Cfg
	if !cfg.Mail.Delivers() {
		c.skip(StepDeliver, "no delivery configured (mail.smtp.host or mail.maildir)")
		return nil
	}
	opt := deliver.FromConfig(cfg, c.jobLog)
	opt.Wait = true
	r, err := deliver.Run(ctx, c.deps.Pool, []report.Period{c.p}, opt)
	c.res.Deliver = r
	if err != nil {
		return err
	}
	for _, d := range r.Sent {
		if d.Kind == deliver.KindArchive && d.Period == c.p.Name() {
			c.res.Deliveries++
		}
	}
	for _, d := range r.Waiting {
		if d.Kind != deliver.KindArchive || d.Period != c.p.Name() {
			continue
		}
		if d.Status == deliver.StatusFailed {
			// Refused for good (5xx): the outbox does not try again.
			c.partial(StepDeliver, fmt.Sprintf("message #%d by %s to %s was refused: %s; '%s' sends it again",
				d.ID, d.Channel, d.Recipient, d.LastError, ResendCommand(c.deps.Cfg, c.p)))
			continue
		}
		c.waits(StepDeliver, fmt.Sprintf("message #%d by %s to %s waits in the outbox (%s): %s",
			d.ID, d.Channel, d.Recipient, d.Status, d.LastError))
	}
	return nil
}

// retention applies the configured limits ([retention] raw_days,
// aggregate_days), so that they hold without a job of their own. It runs
// last: the period's archive is built and sent before anything goes. A
// failure here leaves the accounting done, and the run partial.
func (c *chainRun) retention(ctx context.Context) error {
	r := maintain.FromConfig(c.deps.Cfg.Retention)
	if r.None() {
		return nil // no limit: everything is kept
	}
	plan, err := maintain.PlanRetention(ctx, c.deps.Pool, r, c.deps.Now(), c.deps.Cfg.Loc)
	if err == nil {
		err = maintain.Apply(ctx, c.deps.Pool, plan, c.jobLog)
	}
	if err != nil {
		c.partial(StepRetention, fmt.Sprintf("retention not applied: %v", err))
		return nil
	}
	c.res.Retention = plan
	return nil
}
