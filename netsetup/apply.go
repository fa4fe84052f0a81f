package netsetup

// Options tunes Apply.
type Options struct {
	// DryRun computes the changes and makes none. It needs no privileges.
	DryRun bool
	// Prune removes VLAN links on the parent that are named like netsetup's
	// own (<parent>.<n>) but are no longer in the plan. Without it they are
	// kept, so that a VLAN dropped from vlan.config by mistake does not cut
	// a customer off before the admin has looked.
	Prune bool
}
