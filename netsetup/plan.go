package netsetup

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// DefaultParent is the NIC the customer VLANs hang off.
const DefaultParent = "eth1"

// maxIfName is the longest Linux interface name (IFNAMSIZ less the NUL).
const maxIfName = 15

// Plan is what the host should have: one VLAN link per line of vlan.config.
// It is pure data and marshals to JSON as is.
type Plan struct {
	Parent string `json:"parent"`
	Links  []Link `json:"links"` // ordered by VLAN id
}

// Link is one planned VLAN interface and the LAN behind it.
type Link struct {
	VLAN        int          `json:"vlan"`
	Interface   string       `json:"interface"` // <parent>.<vlan>
	Address     netip.Prefix `json:"address"`   // the server: 10.a.b.1/24
	Broadcast   netip.Addr   `json:"broadcast"` // 10.a.b.255
	LAN         netip.Prefix `json:"lan"`       // 10.a.b.0/24, what landefs holds
	Name        string       `json:"lan_name"`
	Maintenance bool         `json:"maintenance,omitempty"`
}

// NewPlan maps every VLAN to its interface on parent and its addresses.
// It fails if parent is not a usable interface name or if an interface
// name would be too long for the kernel.
func NewPlan(parent string, vlans []VLAN) (Plan, error) {
	if err := checkIfName(parent); err != nil {
		return Plan{}, fmt.Errorf("parent interface: %w", err)
	}
	p := Plan{Parent: parent, Links: make([]Link, 0, len(vlans))}
	for _, v := range vlans {
		if v.ID < MinVLAN || v.ID > MaxVLAN {
			return Plan{}, fmt.Errorf("vlan id %d is outside %d..%d", v.ID, MinVLAN, MaxVLAN)
		}
		name := linkName(parent, v.ID)
		if err := checkIfName(name); err != nil {
			return Plan{}, fmt.Errorf("vlan %d: %w; use a shorter parent name", v.ID, err)
		}
		lan := LANPrefix(v.ID)
		p.Links = append(p.Links, Link{
			VLAN:        v.ID,
			Interface:   name,
			Address:     netip.PrefixFrom(serverAddr(lan), lan.Bits()),
			Broadcast:   broadcastAddr(lan),
			LAN:         lan,
			Name:        v.Name,
			Maintenance: v.ID == MaintenanceVLAN,
		})
	}
	slices.SortFunc(p.Links, func(a, b Link) int { return a.VLAN - b.VLAN })
	for i := 1; i < len(p.Links); i++ {
		if p.Links[i].VLAN == p.Links[i-1].VLAN {
			return Plan{}, fmt.Errorf("vlan %d is listed twice", p.Links[i].VLAN)
		}
	}
	return p, nil
}

// CustomerLANs returns the links that are customer LANs, i.e. all but the
// maintenance VLAN.
func (p Plan) CustomerLANs() []Link {
	out := make([]Link, 0, len(p.Links))
	for _, l := range p.Links {
		if !l.Maintenance {
			out = append(out, l)
		}
	}
	return out
}

// LANPrefix is the customer LAN of VLAN v: 10.(v/256).(v%256).0/24.
func LANPrefix(v int) netip.Prefix {
	return netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(v / 256), byte(v % 256), 0}), 24)
}

func serverAddr(lan netip.Prefix) netip.Addr {
	a := lan.Addr().As4()
	a[3] = 1
	return netip.AddrFrom4(a)
}

func broadcastAddr(lan netip.Prefix) netip.Addr {
	a := lan.Addr().As4()
	a[3] = 255
	return netip.AddrFrom4(a)
}

// isServerAddr reports whether a is the server address of some VLAN
// (10.a.b.1 with a*256+b in 1..4094), i.e. an address netsetup itself
// would put on a link.
func isServerAddr(a netip.Addr) bool {
	if !a.Is4() {
		return false
	}
	b := a.As4()
	v := int(b[1])*256 + int(b[2])
	return b[0] == 10 && b[3] == 1 && v >= MinVLAN && v <= MaxVLAN
}

func linkName(parent string, vlan int) string {
	return parent + "." + strconv.Itoa(vlan)
}

// ownedName reports whether name has the form <parent>.<number>, the names
// netsetup gives to the links it creates.
func ownedName(parent, name string) bool {
	rest, ok := strings.CutPrefix(name, parent+".")
	if !ok || rest == "" {
		return false
	}
	for _, c := range rest {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// checkIfName applies the kernel's rules for interface names
// (dev_valid_name).
func checkIfName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("empty interface name")
	case len(name) > maxIfName:
		return fmt.Errorf("interface name %q is longer than %d bytes", name, maxIfName)
	case name == "." || name == "..":
		return fmt.Errorf("interface name %q is not allowed", name)
	}
	for _, c := range name {
		if c == '/' || c == ':' || c <= ' ' || c == 0x7f {
			return fmt.Errorf("interface name %q has %q", name, c)
		}
	}
	return nil
}
