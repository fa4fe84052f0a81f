package netsetup

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// TestApplyVM runs Apply against a real kernel. This machine's kernel has
// neither 802.1Q nor dummy links, so the test runs in a throwaway QEMU VM
// with Debian's kernel (netsetup/vmtest/run.sh), each case in a network
// namespace of its own. It sends no traffic.
func TestApplyVM(t *testing.T) {
	if os.Getenv("VLANVM") != "1" {
		t.Skip("runs inside the QEMU VM: netsetup/vmtest/run.sh")
	}
	t.Run("create, rerun, foreign links untouched", testVMCreate)
	t.Run("dry run, then reconcile wrong links and addresses", testVMReconcile)
	t.Run("prune", testVMPrune)
	t.Run("missing parent", testVMMissingParent)
	t.Run("conflict", testVMConflict)
	t.Run("no CAP_NET_ADMIN", testVMNoNetAdmin)
}

func testVMCreate(t *testing.T) {
	h := newNS(t)
	eth1 := addDummy(t, h, "eth1", false)
	eth2 := addDummy(t, h, "eth2", true, "172.16.5.1/24")
	addVLAN(t, h, "eth2.1048", eth2, 1048, true, "10.4.24.1/24")   // same id and address, other parent
	mgmt := addVLAN(t, h, "mgmt", eth1, 99, false, "10.0.99.1/24") // on our parent, not our name
	foreign := snapshot(t, h, "eth2", "eth2.1048")
	mgmtAddrs := addrStrings(t, h, mgmt)

	p := plan(t, exampleConfig)
	changes := apply(t, h, p, Options{})
	if got, want := countKinds(changes), map[ChangeKind]int{SetUp: 7, CreateLink: 6, AddAddr: 6}; !maps.Equal(got, want) {
		t.Errorf("change kinds %v, want %v", got, want)
	}
	before := checkPlan(t, h, p)
	for _, l := range p.Links {
		t.Log(snapshot(t, h, l.Interface))
	}

	if changes := apply(t, h, p, Options{}); len(changes) != 0 {
		t.Errorf("second apply changed: %v", changes)
	}
	if changes := apply(t, h, p, Options{DryRun: true, Prune: true}); len(changes) != 0 {
		t.Errorf("dry run after apply wants changes: %v", changes)
	}
	if after := checkPlan(t, h, p); !maps.Equal(before, after) {
		t.Errorf("link indexes changed on the second apply: %v, then %v", before, after)
	}
	if got := snapshot(t, h, "eth2", "eth2.1048"); got != foreign {
		t.Errorf("links netsetup does not manage changed:\n%s\nwas:\n%s", got, foreign)
	}
	// The kernel brings every VLAN on a parent up with the parent, so only
	// mgmt's identity and addresses are netsetup's to leave alone.
	l, err := h.LinkByName("mgmt")
	if err != nil || l.Attrs().Index != mgmt.Attrs().Index || l.(*netlink.Vlan).VlanId != 99 {
		t.Errorf("mgmt changed: %v, %v", l, err)
	} else if got := addrStrings(t, h, l); !slices.Equal(got, mgmtAddrs) {
		t.Errorf("mgmt addresses %v, were %v", got, mgmtAddrs)
	}
}

func testVMReconcile(t *testing.T) {
	h := newNS(t)
	eth1 := addDummy(t, h, "eth1", true)
	eth2 := addDummy(t, h, "eth2", true)
	addVLAN(t, h, "eth1.1048", eth1, 7, true, "10.4.24.1/24")   // wrong vlan id
	addVLAN(t, h, "eth1.256", eth2, 256, true, "10.1.0.1/24")   // wrong parent
	addVLAN(t, h, "eth1.255", eth1, 255, true, "10.0.254.1/24", // another vlan's address,
		"192.168.1.1/24") // and one added by hand
	addVLAN(t, h, "eth1.2", eth1, 2, false, "10.0.2.1/24 10.0.2.127") // wrong broadcast, down
	addVLAN(t, h, "eth1.4094", eth1, 4094, true, "10.15.254.1/16")    // wrong prefix length
	addVLAN(t, h, "eth1.1", eth1, 1, true, "10.0.1.1/24")             // right
	p := plan(t, exampleConfig)

	before := snapshot(t, h)
	planned := apply(t, h, p, Options{DryRun: true})
	if got := snapshot(t, h); got != before {
		t.Fatalf("dry run changed the host:\n%s\nwas:\n%s", got, before)
	}
	changes := apply(t, h, p, Options{})
	if !slices.Equal(changes, planned) {
		t.Errorf("apply made\n\t%s\nbut the dry run said\n\t%s", joinChanges(changes), joinChanges(planned))
	}
	want := []string{
		"recreate eth1.256 as vlan 256 on eth1: has parent eth2",
		"recreate eth1.1048 as vlan 1048 on eth1: has vlan id 7",
		"delete address 10.0.2.1/24 from eth1.2: broadcast is 10.0.2.127, want 10.0.2.255",
		"add address 10.0.2.1/24 brd 10.0.2.255 to eth1.2",
		"set eth1.2 up",
		"delete address 10.0.254.1/24 from eth1.255: not the address of vlan 255 (10.0.255.1/24)",
		"add address 10.0.255.1/24 brd 10.0.255.255 to eth1.255",
		"add address 10.1.0.1/24 brd 10.1.0.255 to eth1.256",
		"set eth1.256 up",
		"add address 10.4.24.1/24 brd 10.4.24.255 to eth1.1048",
		"set eth1.1048 up",
		"delete address 10.15.254.1/16 from eth1.4094: not the address of vlan 4094 (10.15.254.1/24)",
		"add address 10.15.254.1/24 brd 10.15.254.255 to eth1.4094",
	}
	if got := joinChanges(changes); got != strings.Join(want, "\n\t") {
		t.Errorf("changes:\n\t%s\nwant:\n\t%s", got, strings.Join(want, "\n\t"))
	}
	checkPlan(t, h, p, "eth1.255 192.168.1.1/24")
	if changes := apply(t, h, p, Options{}); len(changes) != 0 {
		t.Errorf("second apply changed: %v", changes)
	}
}

func testVMPrune(t *testing.T) {
	h := newNS(t)
	eth1 := addDummy(t, h, "eth1", true)
	addVLAN(t, h, "mgmt", eth1, 99, true) // on the parent but not named by us: never pruned
	both := plan(t, "2 zwei\n1048 kunde\n")
	apply(t, h, both, Options{})
	idx := checkPlan(t, h, both)

	one := plan(t, "2 zwei\n")
	if changes := apply(t, h, one, Options{}); len(changes) != 0 {
		t.Errorf("without prune: changes %v", changes)
	}
	checkPlan(t, h, both) // eth1.1048 is still there and right
	before := snapshot(t, h)
	want := []Change{{Kind: RemoveLink, Link: "eth1.1048", VLAN: 1048, Parent: "eth1", Reason: "not in vlan.config"}}
	if changes := apply(t, h, one, Options{Prune: true, DryRun: true}); !slices.Equal(changes, want) {
		t.Errorf("dry run with prune: %v, want %v", changes, want)
	}
	if got := snapshot(t, h); got != before {
		t.Errorf("dry run changed the host:\n%s\nwas:\n%s", got, before)
	}
	if changes := apply(t, h, one, Options{Prune: true}); !slices.Equal(changes, want) {
		t.Errorf("prune: %v, want %v", changes, want)
	}
	if _, err := h.LinkByName("eth1.1048"); !errors.As(err, &netlink.LinkNotFoundError{}) {
		t.Errorf("eth1.1048 after prune: err %v, want not found", err)
	}
	if after := checkPlan(t, h, one); after["eth1.2"] != idx["eth1.2"] {
		t.Errorf("eth1.2 was recreated by the prune")
	}
	if _, err := h.LinkByName("mgmt"); err != nil {
		t.Errorf("mgmt after prune: %v", err)
	}
}

func testVMMissingParent(t *testing.T) {
	h := newNS(t)
	addDummy(t, h, "eth2", false)
	before := snapshot(t, h)
	p := plan(t, exampleConfig)
	for _, opts := range []Options{{}, {DryRun: true}, {Prune: true}} {
		changes, err := Apply(context.Background(), h, p, opts)
		if err == nil || !strings.Contains(err.Error(), `parent interface "eth1" not found`) {
			t.Errorf("Apply(%+v) = %v, %v; want parent not found", opts, changes, err)
		}
		if changes != nil {
			t.Errorf("Apply(%+v) returned changes %v", opts, changes)
		}
	}
	if got := snapshot(t, h); got != before {
		t.Errorf("host changed:\n%s\nwas:\n%s", got, before)
	}
}

func testVMConflict(t *testing.T) {
	h := newNS(t)
	eth1 := addDummy(t, h, "eth1", false)
	addDummy(t, h, "eth1.2", false)          // a planned name, not a vlan
	addVLAN(t, h, "cust", eth1, 1048, false) // a planned vlan id under another name
	before := snapshot(t, h)
	_, err := Apply(context.Background(), h, plan(t, exampleConfig), Options{Prune: true})
	var ce *ConflictError
	if !errors.As(err, &ce) || len(ce.Problems) != 2 {
		t.Fatalf("want a ConflictError with 2 problems, got %v", err)
	}
	t.Log(err)
	if got := snapshot(t, h); got != before {
		t.Errorf("host changed:\n%s\nwas:\n%s", got, before)
	}
}

func testVMNoNetAdmin(t *testing.T) {
	h := newNS(t)
	addDummy(t, h, "eth1", false)
	p := plan(t, exampleConfig)
	before := snapshot(t, h)

	type result struct {
		changes, dry []Change
		err, dryErr  error
	}
	done := make(chan result)
	go func() {
		// Capabilities belong to a thread: drop CAP_NET_ADMIN on this
		// goroutine's own thread, which is never unlocked and so ends
		// with the goroutine.
		runtime.LockOSThread()
		var r result
		if r.err = dropEffectiveCap(unix.CAP_NET_ADMIN); r.err == nil {
			r.changes, r.err = Apply(context.Background(), h, p, Options{})
			r.dry, r.dryErr = Apply(context.Background(), h, p, Options{DryRun: true})
		}
		done <- r
	}()
	r := <-done
	if r.err == nil || !strings.Contains(r.err.Error(), "needs CAP_NET_ADMIN") || r.changes != nil {
		t.Errorf("Apply without CAP_NET_ADMIN = %v, %v; want the capability error", r.changes, r.err)
	}
	if r.dryErr != nil || len(r.dry) == 0 {
		t.Errorf("dry run without CAP_NET_ADMIN = %v, %v; want the changes", r.dry, r.dryErr)
	}
	if got := snapshot(t, h); got != before {
		t.Errorf("host changed:\n%s\nwas:\n%s", got, before)
	}
}

func dropEffectiveCap(c int) error {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return err
	}
	data[c/32].Effective &^= 1 << (c % 32)
	return unix.Capset(&hdr, &data[0])
}

// newNS returns a handle on a new, empty network namespace that is removed
// when the test ends.
func newNS(t *testing.T) *netlink.Handle {
	t.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := netns.Get()
	if err != nil {
		t.Fatalf("current netns: %v", err)
	}
	defer orig.Close()
	ns, err := netns.New() // switches this thread into the new namespace
	if err != nil {
		t.Fatalf("new netns: %v", err)
	}
	if err := netns.Set(orig); err != nil {
		t.Fatalf("back to the original netns: %v", err)
	}
	h, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE) // route only: xfrm is a module not loaded in the VM
	if err != nil {
		t.Fatalf("netlink handle in the new netns: %v", err)
	}
	t.Cleanup(func() { h.Close(); ns.Close() })
	return h
}

func addDummy(t *testing.T, h *netlink.Handle, name string, up bool, addrs ...string) netlink.Link {
	t.Helper()
	return addLink(t, h, &netlink.Dummy{LinkAttrs: netlink.LinkAttrs{Name: name}}, up, addrs)
}

// addVLAN adds an 802.1Q link; an address may be followed by its
// broadcast: "10.0.2.1/24 10.0.2.127".
func addVLAN(t *testing.T, h *netlink.Handle, name string, parent netlink.Link, id int, up bool, addrs ...string) netlink.Link {
	t.Helper()
	return addLink(t, h, &netlink.Vlan{
		LinkAttrs:    netlink.LinkAttrs{Name: name, ParentIndex: parent.Attrs().Index},
		VlanId:       id,
		VlanProtocol: netlink.VLAN_PROTOCOL_8021Q,
	}, up, addrs)
}

func addLink(t *testing.T, h *netlink.Handle, l netlink.Link, up bool, addrs []string) netlink.Link {
	t.Helper()
	name := l.Attrs().Name
	if err := h.LinkAdd(l); err != nil {
		t.Fatalf("add %s link %s: %v", l.Type(), name, err)
	}
	l, err := h.LinkByName(name)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range addrs {
		ip, brd, _ := strings.Cut(s, " ")
		a, err := netlink.ParseAddr(ip)
		if err != nil {
			t.Fatal(err)
		}
		if brd != "" {
			a.Broadcast = net.ParseIP(brd).To4()
		}
		if err := h.AddrAdd(l, a); err != nil {
			t.Fatalf("add %s to %s: %v", s, name, err)
		}
	}
	if up {
		if err := h.LinkSetUp(l); err != nil {
			t.Fatalf("set %s up: %v", name, err)
		}
	}
	return l
}

func plan(t *testing.T, config string) Plan {
	t.Helper()
	vlans, err := ParseConfig(strings.NewReader(config), "test")
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPlan(DefaultParent, vlans)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func apply(t *testing.T, h *netlink.Handle, p Plan, opts Options) []Change {
	t.Helper()
	changes, err := Apply(context.Background(), h, p, opts)
	if err != nil {
		t.Fatalf("Apply(%+v): %v (after %v)", opts, err, changes)
	}
	var b strings.Builder
	WriteChanges(&b, changes, opts.DryRun)
	t.Logf("Apply(%+v): %s", opts, strings.TrimSpace(b.String()))
	return changes
}

// checkPlan checks every planned link through netlink: an 802.1Q link with
// the planned id on the parent, up, with exactly the planned address and
// broadcast, plus any extra addresses given as "link address". It returns
// the link indexes by name.
func checkPlan(t *testing.T, h *netlink.Handle, p Plan, extra ...string) map[string]int {
	t.Helper()
	parent, err := h.LinkByName(p.Parent)
	if err != nil {
		t.Fatal(err)
	}
	if parent.Attrs().Flags&net.FlagUp == 0 {
		t.Errorf("parent %s is down", p.Parent)
	}
	idx := map[string]int{}
	for _, pl := range p.Links {
		l, err := h.LinkByName(pl.Interface)
		if err != nil {
			t.Errorf("%s: %v", pl.Interface, err)
			continue
		}
		idx[pl.Interface] = l.Attrs().Index
		v, ok := l.(*netlink.Vlan)
		switch {
		case !ok:
			t.Errorf("%s is a %s link, want vlan", pl.Interface, l.Type())
			continue
		case v.VlanId != pl.VLAN:
			t.Errorf("%s: vlan id %d, want %d", pl.Interface, v.VlanId, pl.VLAN)
		case v.VlanProtocol != netlink.VLAN_PROTOCOL_8021Q:
			t.Errorf("%s: protocol %v, want 802.1q", pl.Interface, v.VlanProtocol)
		case v.ParentIndex != parent.Attrs().Index:
			t.Errorf("%s: parent index %d, want %d (%s)", pl.Interface, v.ParentIndex, parent.Attrs().Index, p.Parent)
		case v.Flags&net.FlagUp == 0:
			t.Errorf("%s is down", pl.Interface)
		}
		want := []string{fmt.Sprintf("%s brd %s", pl.Address, pl.Broadcast)}
		for _, e := range extra {
			if name, a, _ := strings.Cut(e, " "); name == pl.Interface {
				want = append(want, a)
			}
		}
		got := addrStrings(t, h, l)
		for _, w := range want {
			if !slices.Contains(got, w) && !slices.ContainsFunc(got, func(g string) bool { return strings.HasPrefix(g, w+" brd ") }) {
				t.Errorf("%s: addresses %v, want %v", pl.Interface, got, want)
			}
		}
		if len(got) != len(want) {
			t.Errorf("%s: addresses %v, want %v", pl.Interface, got, want)
		}
	}
	return idx
}

func addrStrings(t *testing.T, h *netlink.Handle, l netlink.Link) []string {
	t.Helper()
	addrs, err := h.AddrList(l, netlink.FAMILY_V4)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, a := range addrs {
		s := a.IPNet.String()
		if a.Broadcast != nil {
			s += " brd " + a.Broadcast.String()
		}
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// snapshot describes the named links (all links if none are named) with
// everything Apply could change, to tell that nothing was touched.
func snapshot(t *testing.T, h *netlink.Handle, names ...string) string {
	t.Helper()
	links, err := h.LinkList()
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range links {
		a := l.Attrs()
		if len(names) > 0 && !slices.Contains(names, a.Name) {
			continue
		}
		s := fmt.Sprintf("%s: #%d %s", a.Name, a.Index, l.Type())
		if v, ok := l.(*netlink.Vlan); ok {
			s += fmt.Sprintf(" vlan %d proto %v parent #%d", v.VlanId, v.VlanProtocol, v.ParentIndex)
		}
		s += fmt.Sprintf(" flags %v addr %v", a.Flags, addrStrings(t, h, l))
		lines = append(lines, s)
	}
	return strings.Join(lines, "\n")
}

func countKinds(cs []Change) map[ChangeKind]int {
	m := map[ChangeKind]int{}
	for _, c := range cs {
		m[c.Kind]++
	}
	return m
}

func joinChanges(cs []Change) string {
	return strings.Join(changeStrings(cs), "\n\t")
}

// TestLoopbackParentRefused: a plan on the loopback device is refused
// with a reason, in a dry run too, before anything is drawn or changed.
// Reading links needs no privileges, so it runs on any Linux host.
func TestLoopbackParentRefused(t *testing.T) {
	plan, err := NewPlan("lo", []VLAN{{ID: 1048, Name: "mueller"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Apply(context.Background(), nil, plan, Options{DryRun: true})
	if err == nil || !strings.Contains(err.Error(), `parent interface "lo" is a loopback device`) {
		t.Fatalf("dry run on lo: %v", err)
	}
}
