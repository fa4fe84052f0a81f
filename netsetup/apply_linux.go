package netsetup

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
)

// Apply makes the host's VLAN links and addresses match the plan and
// returns the changes it made, in order; an empty list means the host was
// already right. h selects the network namespace; nil means the caller's.
// A handle for another namespace needs only the route family:
// netlink.NewHandleAt(ns, unix.NETLINK_ROUTE).
//
// Everything that can be checked is checked before the first change: the
// privileges (unless DryRun), the parent interface, and links Apply will
// not guess about (see ConflictError). If a change fails, Apply stops and
// returns the changes made so far with the error.
func Apply(ctx context.Context, h *netlink.Handle, p Plan, opts Options) ([]Change, error) {
	if h == nil {
		h = &netlink.Handle{} // the package-level netlink functions use the same
	}
	if err := checkIfName(p.Parent); err != nil {
		return nil, fmt.Errorf("parent interface: %w", err)
	}
	if !opts.DryRun {
		if err := checkNetAdmin(); err != nil {
			return nil, err
		}
	}
	host, err := readHost(h, p)
	if err != nil {
		return nil, err
	}
	changes, err := reconcile(p, host, opts.Prune)
	if err != nil || opts.DryRun {
		return changes, err
	}
	return execute(ctx, h, host.Parent.Index, changes)
}

// readHost reads the parent, every link, and the IPv4 addresses.
func readHost(h *netlink.Handle, p Plan) (hostState, error) {
	parent, err := h.LinkByName(p.Parent)
	if err != nil {
		var nf netlink.LinkNotFoundError
		if errors.As(err, &nf) {
			return hostState{}, fmt.Errorf("parent interface %q not found, nothing changed", p.Parent)
		}
		return hostState{}, fmt.Errorf("look up parent interface %q: %w", p.Parent, err)
	}
	if a := parent.Attrs(); a.Flags&net.FlagLoopback != 0 || a.EncapType == "loopback" {
		return hostState{}, fmt.Errorf("parent interface %q is a loopback device, and 802.1Q VLANs need an Ethernet interface (netsetup.parent, --parent); nothing changed", p.Parent)
	}
	var links []netlink.Link
	var addrs []netlink.Addr
	err = retryDump(func() (err error) {
		links, err = h.LinkList()
		return err
	})
	if err != nil {
		return hostState{}, fmt.Errorf("list links: %w", err)
	}
	err = retryDump(func() (err error) {
		addrs, err = h.AddrList(nil, netlink.FAMILY_V4)
		return err
	})
	if err != nil {
		return hostState{}, fmt.Errorf("list addresses: %w", err)
	}
	byIndex := map[int][]addrState{}
	for _, a := range addrs {
		if s, ok := toAddrState(a); ok {
			byIndex[a.LinkIndex] = append(byIndex[a.LinkIndex], s)
		}
	}
	host := hostState{Parent: toLinkState(parent, nil)}
	for _, l := range links {
		host.Links = append(host.Links, toLinkState(l, byIndex[l.Attrs().Index]))
	}
	return host, nil
}

// retryDump repeats a netlink dump that the kernel interrupted because the
// table changed while it was read; its result may then be incomplete.
func retryDump(dump func() error) error {
	var err error
	for range 5 {
		if err = dump(); !errors.Is(err, netlink.ErrDumpInterrupted) {
			return err
		}
	}
	return err
}

func toLinkState(l netlink.Link, addrs []addrState) linkState {
	a := l.Attrs()
	s := linkState{
		Name:        a.Name,
		Index:       a.Index,
		Type:        l.Type(),
		ParentIndex: a.ParentIndex,
		Up:          a.Flags&net.FlagUp != 0,
		Addrs:       addrs,
	}
	if v, ok := l.(*netlink.Vlan); ok {
		s.VLAN = v.VlanId
		s.Protocol = int(v.VlanProtocol)
	}
	return s
}

func toAddrState(a netlink.Addr) (addrState, bool) {
	if a.IPNet == nil {
		return addrState{}, false
	}
	ip, ok := netip.AddrFromSlice(a.IP)
	if !ok {
		return addrState{}, false
	}
	ones, _ := a.Mask.Size()
	s := addrState{Prefix: netip.PrefixFrom(ip.Unmap(), ones)}
	if brd, ok := netip.AddrFromSlice(a.Broadcast); ok {
		s.Broadcast = brd.Unmap()
	}
	return s, true
}

// execute makes the changes. All link removals (and the removal half of
// each recreate) come first: a VLAN id is unique per parent, so a link
// that moves to another id must not collide with one that is about to go.
func execute(ctx context.Context, h *netlink.Handle, parentIndex int, changes []Change) ([]Change, error) {
	var done []Change
	for _, c := range changes {
		if c.Kind != RemoveLink && c.Kind != RecreateLink {
			continue
		}
		if err := ctx.Err(); err != nil {
			return done, fmt.Errorf("stopped before %s: %w", c, err)
		}
		if err := delLink(h, c.Link); err != nil {
			return done, fmt.Errorf("%s: %w", c, err)
		}
		if c.Kind == RemoveLink {
			done = append(done, c)
		}
	}
	for _, c := range changes {
		if c.Kind == RemoveLink {
			continue
		}
		if err := ctx.Err(); err != nil {
			return done, fmt.Errorf("stopped before %s: %w", c, err)
		}
		if err := executeOne(h, parentIndex, c); err != nil {
			return done, fmt.Errorf("%s: %w", c, err)
		}
		done = append(done, c)
	}
	return done, nil
}

func executeOne(h *netlink.Handle, parentIndex int, c Change) error {
	switch c.Kind {
	case CreateLink, RecreateLink:
		return h.LinkAdd(&netlink.Vlan{
			LinkAttrs:    netlink.LinkAttrs{Name: c.Link, ParentIndex: parentIndex},
			VlanId:       c.VLAN,
			VlanProtocol: netlink.VLAN_PROTOCOL_8021Q,
		})
	case SetUp:
		l, err := h.LinkByName(c.Link)
		if err != nil {
			return err
		}
		return h.LinkSetUp(l)
	case AddAddr, DelAddr:
		l, err := h.LinkByName(c.Link)
		if err != nil {
			return err
		}
		a := &netlink.Addr{IPNet: &net.IPNet{
			IP:   c.Addr.Addr().AsSlice(),
			Mask: net.CIDRMask(c.Addr.Bits(), 32),
		}}
		if c.Kind == DelAddr {
			return h.AddrDel(l, a)
		}
		// netlink sends the broadcast as given; a 16-byte IP is rejected
		// by the kernel and the address silently ends up without one.
		a.Broadcast = c.Broadcast.AsSlice()
		return h.AddrReplace(l, a)
	}
	return fmt.Errorf("unknown change kind %d", int(c.Kind))
}

func delLink(h *netlink.Handle, name string) error {
	l, err := h.LinkByName(name)
	if err != nil {
		return err
	}
	return h.LinkDel(l)
}
