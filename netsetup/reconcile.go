package netsetup

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// proto8021Q is the 802.1Q TPID, the only VLAN protocol netsetup creates.
const proto8021Q = 0x8100

// linkState is one link as Apply found it on the host.
type linkState struct {
	Name        string
	Index       int
	Type        string // the kernel's link kind: "vlan", "dummy", ...
	VLAN        int    // VLAN id, for Type "vlan"
	Protocol    int    // VLAN protocol (TPID), for Type "vlan"; 0 if unknown
	ParentIndex int
	Up          bool
	Addrs       []addrState // IPv4 addresses
}

// addrState is one IPv4 address on a link.
type addrState struct {
	Prefix    netip.Prefix // the address and its prefix length: 10.4.24.1/24
	Broadcast netip.Addr   // zero when the address has none
}

// hostState is what Apply reads before deciding anything.
type hostState struct {
	Parent linkState
	Links  []linkState // every link, the parent included
}

// reconcile decides the changes that bring host to the plan. It changes
// nothing; when the host is in a state it should not guess about, it
// returns an error listing every such problem and no changes.
func reconcile(p Plan, host hostState, prune bool) ([]Change, error) {
	parent := host.Parent
	byName := make(map[string]linkState, len(host.Links))
	for _, l := range host.Links {
		byName[l.Name] = l
	}
	planned := make(map[string]bool, len(p.Links))
	for _, pl := range p.Links {
		planned[pl.Interface] = true
	}
	links := byIndex(host.Links)
	onParent := func(l linkState) bool { return l.Type == "vlan" && l.ParentIndex == parent.Index }

	var problems []string
	var changes []Change
	if !parent.Up {
		changes = append(changes, Change{Kind: SetUp, Link: parent.Name, Reason: "vlan links carry nothing while their parent is down"})
	}

	// Links that will be gone before anything is created: a VLAN id they
	// hold is free for a planned link.
	gone := map[string]bool{}

	// VLAN links on the parent that carry our names but are no longer planned.
	var stale []linkState
	for _, l := range host.Links {
		if onParent(l) && ownedName(p.Parent, l.Name) && !planned[l.Name] {
			stale = append(stale, l)
		}
	}
	slices.SortFunc(stale, func(a, b linkState) int { return strings.Compare(a.Name, b.Name) })
	if prune {
		for _, l := range stale {
			gone[l.Name] = true
			changes = append(changes, Change{Kind: RemoveLink, Link: l.Name, VLAN: l.VLAN, Parent: parent.Name, Reason: "not in vlan.config"})
		}
	}

	type todo struct {
		link   Link
		have   *linkState // nil when the link is missing or will be recreated
		create ChangeKind // CreateLink or RecreateLink; 0 when the link stays
		reason string
	}
	var work []todo
	for _, pl := range p.Links {
		l, ok := byName[pl.Interface]
		switch {
		case !ok:
			work = append(work, todo{link: pl, create: CreateLink})
		case l.Type != "vlan":
			kind := l.Type
			if kind == "" {
				kind = "non-vlan"
			}
			problems = append(problems, fmt.Sprintf("%s exists as a %s link, not a vlan: rename or remove it by hand", l.Name, kind))
		default:
			if why := wrongVLAN(l, pl, parent, links); why != "" {
				gone[l.Name] = true
				work = append(work, todo{link: pl, create: RecreateLink, reason: why})
				continue
			}
			work = append(work, todo{link: pl, have: &l})
		}
	}

	// A planned link can only be created if no remaining link on the
	// parent holds its VLAN id.
	held := map[int]linkState{}
	for _, l := range host.Links {
		if onParent(l) && !gone[l.Name] && isDot1Q(l) {
			held[l.VLAN] = l
		}
	}
	for _, w := range work {
		if w.create == 0 {
			continue
		}
		l, ok := held[w.link.VLAN]
		if !ok || l.Name == w.link.Interface {
			continue
		}
		hint := "rename or remove it by hand"
		if ownedName(p.Parent, l.Name) && !planned[l.Name] {
			hint = "it is not in vlan.config: run with prune to remove it"
		}
		problems = append(problems, fmt.Sprintf("vlan %d on %s is already link %s, so %s cannot be created: %s",
			w.link.VLAN, parent.Name, l.Name, w.link.Interface, hint))
	}
	if len(problems) > 0 {
		return nil, &ConflictError{Problems: problems}
	}

	// Links first (all removals before any creation, see Apply), then
	// addresses and up state per link.
	for _, w := range work {
		if w.create != 0 {
			changes = append(changes, Change{Kind: w.create, Link: w.link.Interface, VLAN: w.link.VLAN, Parent: p.Parent, Reason: w.reason})
		}
	}
	for _, w := range work {
		changes = append(changes, linkChanges(w.link, w.have)...)
	}
	return changes, nil
}

// linkChanges are the address and up-state changes for one planned link;
// have is nil for a link that is being created.
func linkChanges(pl Link, have *linkState) []Change {
	add := Change{Kind: AddAddr, Link: pl.Interface, Addr: pl.Address, Broadcast: pl.Broadcast}
	up := Change{Kind: SetUp, Link: pl.Interface}
	if have == nil {
		return []Change{add, up}
	}
	var out []Change
	found := false
	for _, a := range have.Addrs {
		switch {
		case a.Prefix == pl.Address && a.Broadcast == pl.Broadcast:
			found = true
		case a.Prefix == pl.Address:
			// The kernel keeps the old broadcast on a replace, so the
			// address has to go and come back.
			brd := "none"
			if a.Broadcast.IsValid() {
				brd = a.Broadcast.String()
			}
			out = append(out, Change{Kind: DelAddr, Link: pl.Interface, Addr: a.Prefix, Broadcast: a.Broadcast,
				Reason: fmt.Sprintf("broadcast is %s, want %s", brd, pl.Broadcast)})
		case isServerAddr(a.Prefix.Addr()):
			out = append(out, Change{Kind: DelAddr, Link: pl.Interface, Addr: a.Prefix, Broadcast: a.Broadcast,
				Reason: fmt.Sprintf("not the address of vlan %d (%s)", pl.VLAN, pl.Address)})
		}
	}
	if !found {
		out = append(out, add)
	}
	if !have.Up {
		out = append(out, up)
	}
	return out
}

// wrongVLAN says why an existing VLAN link does not match its plan, or
// returns "" when it does.
func wrongVLAN(l linkState, pl Link, parent linkState, links map[int]linkState) string {
	var got []string
	if l.VLAN != pl.VLAN {
		got = append(got, fmt.Sprintf("vlan id %d", l.VLAN))
	}
	if l.ParentIndex != parent.Index {
		name := fmt.Sprintf("link #%d", l.ParentIndex)
		if p, ok := links[l.ParentIndex]; ok {
			name = p.Name
		}
		got = append(got, "parent "+name)
	}
	if !isDot1Q(l) {
		got = append(got, fmt.Sprintf("protocol %#04x", l.Protocol))
	}
	if len(got) == 0 {
		return ""
	}
	return "has " + strings.Join(got, ", ")
}

func isDot1Q(l linkState) bool {
	return l.Protocol == proto8021Q || l.Protocol == 0
}

func byIndex(links []linkState) map[int]linkState {
	m := make(map[int]linkState, len(links))
	for _, l := range links {
		m[l.Index] = l
	}
	return m
}

// ConflictError lists what Apply found on the host that it will not guess
// about. Nothing was changed.
type ConflictError struct {
	Problems []string
}

func (e *ConflictError) Error() string {
	return "cannot reconcile, nothing changed:\n\t" + strings.Join(e.Problems, "\n\t")
}
