package netsetup

import (
	"fmt"
	"io"
	"net/netip"
)

// ChangeKind says what a Change does to the host.
type ChangeKind int

// The kinds of change, in the order Apply makes them.
const (
	SetUp        ChangeKind = iota + 1 // bring a link up
	RemoveLink                         // remove a VLAN link that is no longer planned (Prune)
	RecreateLink                       // remove a link whose VLAN id, parent or protocol is wrong, then create it
	CreateLink                         // create a missing VLAN link
	DelAddr                            // remove a wrong address from a managed link
	AddAddr                            // add the planned address with its broadcast
)

func (k ChangeKind) String() string {
	switch k {
	case SetUp:
		return "set-up"
	case RemoveLink:
		return "remove-link"
	case RecreateLink:
		return "recreate-link"
	case CreateLink:
		return "create-link"
	case DelAddr:
		return "del-addr"
	case AddAddr:
		return "add-addr"
	}
	return fmt.Sprintf("ChangeKind(%d)", int(k))
}

// MarshalText makes the kind a readable word in --json output.
func (k ChangeKind) MarshalText() ([]byte, error) {
	if k < SetUp || k > AddAddr {
		return nil, fmt.Errorf("unknown change kind %d", int(k))
	}
	return []byte(k.String()), nil
}

// Change is one thing Apply did, or with DryRun would do, to the host.
type Change struct {
	Kind      ChangeKind   `json:"kind"`
	Link      string       `json:"link"`             // the interface changed
	VLAN      int          `json:"vlan,omitempty"`   // the planned VLAN id (link changes)
	Parent    string       `json:"parent,omitempty"` // the planned parent (link changes)
	Addr      netip.Prefix `json:"addr,omitzero"`    // address changes
	Broadcast netip.Addr   `json:"broadcast,omitzero"`
	Reason    string       `json:"reason,omitempty"` // what was wrong, for recreate, remove and delete
}

func (c Change) String() string {
	var s string
	switch c.Kind {
	case SetUp:
		s = fmt.Sprintf("set %s up", c.Link)
	case RemoveLink:
		s = fmt.Sprintf("remove %s (vlan %d on %s)", c.Link, c.VLAN, c.Parent)
	case RecreateLink:
		s = fmt.Sprintf("recreate %s as vlan %d on %s", c.Link, c.VLAN, c.Parent)
	case CreateLink:
		s = fmt.Sprintf("create %s (vlan %d on %s)", c.Link, c.VLAN, c.Parent)
	case DelAddr:
		s = fmt.Sprintf("delete address %s from %s", c.Addr, c.Link)
	case AddAddr:
		s = fmt.Sprintf("add address %s brd %s to %s", c.Addr, c.Broadcast, c.Link)
	default:
		s = fmt.Sprintf("%s %s", c.Kind, c.Link)
	}
	if c.Reason != "" {
		s += ": " + c.Reason
	}
	return s
}

// WriteChanges prints changes one a line, or a line saying there are none.
// With dryRun the lines say what would be done.
func WriteChanges(w io.Writer, changes []Change, dryRun bool) error {
	var err error
	switch {
	case len(changes) == 0 && dryRun:
		_, err = fmt.Fprintln(w, "no change needed")
	case len(changes) == 0:
		_, err = fmt.Fprintln(w, "no change")
	case dryRun:
		_, err = fmt.Fprintf(w, "would make %d change(s):\n", len(changes))
	default:
		_, err = fmt.Fprintf(w, "made %d change(s):\n", len(changes))
	}
	for _, c := range changes {
		if err != nil {
			break
		}
		_, err = fmt.Fprintf(w, "  %s\n", c)
	}
	if err != nil {
		return fmt.Errorf("write changes: %w", err)
	}
	return nil
}
