package netsetup

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

// The parent is link 2; test links are numbered from 10.
func parentLink(up bool) linkState {
	return linkState{Name: "eth1", Index: 2, Type: "dummy", Up: up}
}

func vlanLink(name string, index, vlan, parent int, up bool, addrs ...string) linkState {
	l := linkState{Name: name, Index: index, Type: "vlan", VLAN: vlan, Protocol: proto8021Q, ParentIndex: parent, Up: up}
	for _, a := range addrs {
		ip, brd, _ := strings.Cut(a, " brd ")
		s := addrState{Prefix: netip.MustParsePrefix(ip)}
		if brd != "" {
			s.Broadcast = netip.MustParseAddr(brd)
		}
		l.Addrs = append(l.Addrs, s)
	}
	return l
}

func mustPlan(t *testing.T, ids ...int) Plan {
	t.Helper()
	var vlans []VLAN
	for _, id := range ids {
		vlans = append(vlans, VLAN{ID: id, Name: "lan" + string(rune('a'+id%26))})
	}
	p, err := NewPlan("eth1", vlans)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func changeStrings(cs []Change) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.String())
	}
	return out
}

func TestReconcile(t *testing.T) {
	up, down := true, false
	tests := []struct {
		name  string
		ids   []int
		links []linkState
		prune bool
		want  []string
	}{
		{
			name: "fresh host",
			ids:  []int{1, 1048},
			want: []string{
				"set eth1 up: vlan links carry nothing while their parent is down",
				"create eth1.1 (vlan 1 on eth1)",
				"create eth1.1048 (vlan 1048 on eth1)",
				"add address 10.0.1.1/24 brd 10.0.1.255 to eth1.1",
				"set eth1.1 up",
				"add address 10.4.24.1/24 brd 10.4.24.255 to eth1.1048",
				"set eth1.1048 up",
			},
		},
		{
			name:  "already right",
			ids:   []int{1048},
			links: []linkState{parentLink(up), vlanLink("eth1.1048", 10, 1048, 2, up, "10.4.24.1/24 brd 10.4.24.255")},
			want:  nil,
		},
		{
			name:  "link down",
			ids:   []int{1048},
			links: []linkState{parentLink(up), vlanLink("eth1.1048", 10, 1048, 2, down, "10.4.24.1/24 brd 10.4.24.255")},
			want:  []string{"set eth1.1048 up"},
		},
		{
			name:  "address missing",
			ids:   []int{1048},
			links: []linkState{parentLink(up), vlanLink("eth1.1048", 10, 1048, 2, up)},
			want:  []string{"add address 10.4.24.1/24 brd 10.4.24.255 to eth1.1048"},
		},
		{
			name: "wrong vlan id",
			ids:  []int{1048},
			links: []linkState{parentLink(up),
				vlanLink("eth1.1048", 10, 7, 2, up, "10.4.24.1/24 brd 10.4.24.255")},
			want: []string{
				"recreate eth1.1048 as vlan 1048 on eth1: has vlan id 7",
				"add address 10.4.24.1/24 brd 10.4.24.255 to eth1.1048",
				"set eth1.1048 up",
			},
		},
		{
			name: "wrong parent",
			ids:  []int{1048},
			links: []linkState{parentLink(up), {Name: "eth2", Index: 3, Type: "dummy", Up: true},
				vlanLink("eth1.1048", 10, 1048, 3, up)},
			want: []string{
				"recreate eth1.1048 as vlan 1048 on eth1: has parent eth2",
				"add address 10.4.24.1/24 brd 10.4.24.255 to eth1.1048",
				"set eth1.1048 up",
			},
		},
		{
			name: "wrong protocol",
			ids:  []int{1048},
			links: []linkState{parentLink(up),
				func() linkState { l := vlanLink("eth1.1048", 10, 1048, 2, up); l.Protocol = 0x88a8; return l }()},
			want: []string{
				"recreate eth1.1048 as vlan 1048 on eth1: has protocol 0x88a8",
				"add address 10.4.24.1/24 brd 10.4.24.255 to eth1.1048",
				"set eth1.1048 up",
			},
		},
		{
			name: "swapped vlan ids",
			ids:  []int{7, 1048},
			links: []linkState{parentLink(up),
				vlanLink("eth1.7", 10, 1048, 2, up),
				vlanLink("eth1.1048", 11, 7, 2, up)},
			want: []string{
				"recreate eth1.7 as vlan 7 on eth1: has vlan id 1048",
				"recreate eth1.1048 as vlan 1048 on eth1: has vlan id 7",
				"add address 10.0.7.1/24 brd 10.0.7.255 to eth1.7",
				"set eth1.7 up",
				"add address 10.4.24.1/24 brd 10.4.24.255 to eth1.1048",
				"set eth1.1048 up",
			},
		},
		{
			name: "wrong and extra addresses",
			ids:  []int{1048},
			links: []linkState{parentLink(up), vlanLink("eth1.1048", 10, 1048, 2, up,
				"10.4.25.1/24 brd 10.4.25.255",     // another vlan's address
				"10.4.24.1/16 brd 10.4.255.255",    // ours, wrong length
				"192.168.9.1/24 brd 192.168.9.255", // added by hand: kept
				"10.4.24.7/24 brd 10.4.24.255",     // added by hand: kept
			)},
			want: []string{
				"delete address 10.4.25.1/24 from eth1.1048: not the address of vlan 1048 (10.4.24.1/24)",
				"delete address 10.4.24.1/16 from eth1.1048: not the address of vlan 1048 (10.4.24.1/24)",
				"add address 10.4.24.1/24 brd 10.4.24.255 to eth1.1048",
			},
		},
		{
			name: "wrong broadcast",
			ids:  []int{1048},
			links: []linkState{parentLink(up), vlanLink("eth1.1048", 10, 1048, 2, up,
				"10.4.24.1/24 brd 10.4.24.127")},
			want: []string{
				"delete address 10.4.24.1/24 from eth1.1048: broadcast is 10.4.24.127, want 10.4.24.255",
				"add address 10.4.24.1/24 brd 10.4.24.255 to eth1.1048",
			},
		},
		{
			name: "no broadcast",
			ids:  []int{1048},
			links: []linkState{parentLink(up), vlanLink("eth1.1048", 10, 1048, 2, up,
				"10.4.24.1/24")},
			want: []string{
				"delete address 10.4.24.1/24 from eth1.1048: broadcast is none, want 10.4.24.255",
				"add address 10.4.24.1/24 brd 10.4.24.255 to eth1.1048",
			},
		},
		{
			name: "stale vlan kept without prune",
			ids:  []int{1048},
			links: []linkState{parentLink(up),
				vlanLink("eth1.1048", 10, 1048, 2, up, "10.4.24.1/24 brd 10.4.24.255"),
				vlanLink("eth1.7", 11, 7, 2, up, "10.0.7.1/24 brd 10.0.7.255")},
			want: nil,
		},
		{
			name: "stale vlan removed with prune",
			ids:  []int{1048},
			links: []linkState{parentLink(up),
				vlanLink("eth1.1048", 10, 1048, 2, up, "10.4.24.1/24 brd 10.4.24.255"),
				vlanLink("eth1.7", 11, 7, 2, up, "10.0.7.1/24 brd 10.0.7.255")},
			prune: true,
			want:  []string{"remove eth1.7 (vlan 7 on eth1): not in vlan.config"},
		},
		{
			name:  "links not ours are never touched, even with prune",
			ids:   []int{1048},
			prune: true,
			links: []linkState{parentLink(up),
				{Name: "eth2", Index: 3, Type: "dummy", Up: false, Addrs: []addrState{{Prefix: netip.MustParsePrefix("10.4.24.1/24")}}},
				vlanLink("eth2.1048", 11, 1048, 3, down, "10.4.24.1/24"), // same id, other parent
				vlanLink("eth2.7", 12, 7, 3, down, "10.0.9.1/24"),        // other parent
				vlanLink("mgmt", 13, 99, 2, down, "10.0.99.1/24"),        // on the parent, not our name
				vlanLink("eth1.1048", 10, 1048, 2, up, "10.4.24.1/24 brd 10.4.24.255")},
			want: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			host := hostState{Parent: parentLink(false), Links: tt.links}
			for _, l := range tt.links {
				if l.Name == "eth1" {
					host.Parent = l
				}
			}
			if len(tt.links) == 0 {
				host.Links = []linkState{host.Parent}
			}
			got, err := reconcile(mustPlan(t, tt.ids...), host, tt.prune)
			if err != nil {
				t.Fatal(err)
			}
			gs := changeStrings(got)
			if strings.Join(gs, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("changes:\n\t%s\nwant:\n\t%s", strings.Join(gs, "\n\t"), strings.Join(tt.want, "\n\t"))
			}
		})
	}
}

func TestReconcileConflicts(t *testing.T) {
	tests := []struct {
		name  string
		ids   []int
		links []linkState
		prune bool
		want  []string
	}{
		{
			name:  "planned name taken by a non-vlan link",
			ids:   []int{5},
			links: []linkState{parentLink(true), {Name: "eth1.5", Index: 10, Type: "dummy"}},
			want:  []string{"eth1.5 exists as a dummy link, not a vlan: rename or remove it by hand"},
		},
		{
			name:  "planned vlan id held by a link with another name",
			ids:   []int{1048},
			links: []linkState{parentLink(true), vlanLink("mgmt", 10, 1048, 2, true)},
			prune: true,
			want:  []string{"vlan 1048 on eth1 is already link mgmt, so eth1.1048 cannot be created: rename or remove it by hand"},
		},
		{
			name:  "planned vlan id held by a stale link, no prune",
			ids:   []int{48},
			links: []linkState{parentLink(true), vlanLink("eth1.0048", 10, 48, 2, true)},
			want:  []string{"vlan 48 on eth1 is already link eth1.0048, so eth1.48 cannot be created: it is not in vlan.config: run with prune to remove it"},
		},
		{
			name: "every problem at once",
			ids:  []int{5, 6},
			links: []linkState{parentLink(true),
				{Name: "eth1.5", Index: 10, Type: "bridge"},
				vlanLink("cust", 11, 6, 2, true)},
			want: []string{
				"eth1.5 exists as a bridge link",
				"vlan 6 on eth1 is already link cust",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			host := hostState{Parent: tt.links[0], Links: tt.links}
			got, err := reconcile(mustPlan(t, tt.ids...), host, tt.prune)
			var ce *ConflictError
			if !errors.As(err, &ce) {
				t.Fatalf("want a *ConflictError, got %v (changes %v)", err, got)
			}
			if got != nil {
				t.Errorf("changes returned with a conflict: %v", got)
			}
			if len(ce.Problems) != len(tt.want) {
				t.Fatalf("problems:\n%v\nwant %d", err, len(tt.want))
			}
			for i, w := range tt.want {
				if !strings.Contains(ce.Problems[i], w) {
					t.Errorf("problem %d = %q, want %q", i, ce.Problems[i], w)
				}
			}
			if !strings.Contains(err.Error(), "nothing changed") {
				t.Errorf("error %q does not say that nothing changed", err)
			}
		})
	}
}

// With prune, a stale link that holds a planned VLAN id is removed first,
// so the planned link can take the id.
func TestReconcilePruneFreesVLANID(t *testing.T) {
	host := hostState{Parent: parentLink(true), Links: []linkState{parentLink(true), vlanLink("eth1.0048", 10, 48, 2, true)}}
	got, err := reconcile(mustPlan(t, 48), host, true)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"remove eth1.0048 (vlan 48 on eth1): not in vlan.config",
		"create eth1.48 (vlan 48 on eth1)",
		"add address 10.0.48.1/24 brd 10.0.48.255 to eth1.48",
		"set eth1.48 up",
	}
	if g := changeStrings(got); strings.Join(g, "\n") != strings.Join(want, "\n") {
		t.Errorf("changes:\n\t%s\nwant:\n\t%s", strings.Join(g, "\n\t"), strings.Join(want, "\n\t"))
	}
}
