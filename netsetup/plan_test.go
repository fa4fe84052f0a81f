package netsetup

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func TestNewPlanAddresses(t *testing.T) {
	tests := []struct {
		vlan                  int
		iface, addr, brd, lan string
	}{
		{1048, "eth1.1048", "10.4.24.1/24", "10.4.24.255", "10.4.24.0/24"}, // docs/DESIGN.md's example
		{1, "eth1.1", "10.0.1.1/24", "10.0.1.255", "10.0.1.0/24"},          // maintenance
		{2, "eth1.2", "10.0.2.1/24", "10.0.2.255", "10.0.2.0/24"},
		{255, "eth1.255", "10.0.255.1/24", "10.0.255.255", "10.0.255.0/24"},
		{256, "eth1.256", "10.1.0.1/24", "10.1.0.255", "10.1.0.0/24"},
		{257, "eth1.257", "10.1.1.1/24", "10.1.1.255", "10.1.1.0/24"},
		{4094, "eth1.4094", "10.15.254.1/24", "10.15.254.255", "10.15.254.0/24"},
	}
	for _, tt := range tests {
		p, err := NewPlan(DefaultParent, []VLAN{{ID: tt.vlan, Name: "x"}})
		if err != nil {
			t.Fatalf("vlan %d: %v", tt.vlan, err)
		}
		l := p.Links[0]
		want := Link{
			VLAN:        tt.vlan,
			Interface:   tt.iface,
			Address:     netip.MustParsePrefix(tt.addr),
			Broadcast:   netip.MustParseAddr(tt.brd),
			LAN:         netip.MustParsePrefix(tt.lan),
			Name:        "x",
			Maintenance: tt.vlan == 1,
		}
		if l != want {
			t.Errorf("vlan %d:\n got %+v\nwant %+v", tt.vlan, l, want)
		}
		if !l.LAN.Contains(l.Address.Addr()) || !l.LAN.Contains(l.Broadcast) {
			t.Errorf("vlan %d: address or broadcast outside %s", tt.vlan, l.LAN)
		}
		if !isServerAddr(l.Address.Addr()) {
			t.Errorf("vlan %d: %s not seen as a server address", tt.vlan, l.Address)
		}
	}
}

func TestNewPlanOrderAndCustomers(t *testing.T) {
	vlans, err := ReadConfig("testdata/vlan.config")
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPlan("eth1", vlans)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int
	for _, l := range p.Links {
		ids = append(ids, l.VLAN)
	}
	if got, want := ids, []int{1, 2, 255, 256, 1048, 4094}; !slices.Equal(got, want) {
		t.Errorf("plan order %v, want %v", got, want)
	}
	for _, l := range p.CustomerLANs() {
		if l.VLAN == MaintenanceVLAN || l.Maintenance {
			t.Errorf("maintenance vlan among the customer LANs: %+v", l)
		}
	}
	if n := len(p.CustomerLANs()); n != 5 {
		t.Errorf("%d customer LANs, want 5", n)
	}
}

func TestNewPlanParent(t *testing.T) {
	tests := []struct {
		parent string
		ok     bool
	}{
		{"eth1", true},
		{"enp3s0f1", true},
		{"bond0", true},
		{"enp3s0f1np1", false}, // 11 + ".4094" is more than 15 bytes
		{"", false},
		{"eth 1", false},
		{"eth1/2", false},
		{"eth1:0", false},
	}
	for _, tt := range tests {
		_, err := NewPlan(tt.parent, []VLAN{{ID: 4094, Name: "x"}})
		if (err == nil) != tt.ok {
			t.Errorf("NewPlan(%q): err = %v, want ok=%v", tt.parent, err, tt.ok)
		}
	}
}

func TestNewPlanRejectsBadVLANs(t *testing.T) {
	for _, vlans := range [][]VLAN{
		{{ID: 0, Name: "a"}},
		{{ID: 4095, Name: "a"}},
		{{ID: 5, Name: "a"}, {ID: 5, Name: "b"}},
	} {
		if _, err := NewPlan("eth1", vlans); err == nil {
			t.Errorf("NewPlan(%v) succeeded", vlans)
		}
	}
}

func TestIsServerAddr(t *testing.T) {
	for s, want := range map[string]bool{
		"10.0.1.1":    true,
		"10.4.24.1":   true,
		"10.15.254.1": true,
		"10.0.0.1":    false, // vlan 0 does not exist
		"10.15.255.1": false, // vlan 4095 does not exist
		"10.16.0.1":   false,
		"10.4.24.2":   false,
		"192.168.0.1": false,
		"::1":         false,
	} {
		if got := isServerAddr(netip.MustParseAddr(s)); got != want {
			t.Errorf("isServerAddr(%s) = %v, want %v", s, got, want)
		}
	}
}

func TestOwnedName(t *testing.T) {
	for name, want := range map[string]bool{
		"eth1.7":    true,
		"eth1.1048": true,
		"eth1.":     false,
		"eth1.x":    false,
		"eth1":      false,
		"eth10.7":   false,
		"eth2.7":    false,
		"mgmt":      false,
	} {
		if got := ownedName("eth1", name); got != want {
			t.Errorf("ownedName(eth1, %q) = %v, want %v", name, got, want)
		}
	}
}

func TestWriteTable(t *testing.T) {
	vlans, err := ReadConfig("testdata/vlan.config")
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPlan("eth1", vlans)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := p.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		"VLAN  INTERFACE  ADDRESS         BROADCAST      LAN             LAN NAME",
		"1     eth1.1     10.0.1.1/24     10.0.1.255     10.0.1.0/24     maint (maintenance, not a customer LAN)",
		"2     eth1.2     10.0.2.1/24     10.0.2.255     10.0.2.0/24     vlan2",
		"255   eth1.255   10.0.255.1/24   10.0.255.255   10.0.255.0/24   Bäckerei_Schmidt",
		"256   eth1.256   10.1.0.1/24     10.1.0.255     10.1.0.0/24     praxis.nord",
		"1048  eth1.1048  10.4.24.1/24    10.4.24.255    10.4.24.0/24    kunde-mueller",
		"4094  eth1.4094  10.15.254.1/24  10.15.254.255  10.15.254.0/24  last",
		"",
	}, "\n")
	if got := b.String(); got != want {
		t.Errorf("table:\n%s\nwant:\n%s", got, want)
	}
}

func TestPlanJSON(t *testing.T) {
	p, err := NewPlan("eth1", []VLAN{{ID: 1, Name: "maint"}, {ID: 1048, Name: "kunde"}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"parent":"eth1","links":[` +
		`{"vlan":1,"interface":"eth1.1","address":"10.0.1.1/24","broadcast":"10.0.1.255","lan":"10.0.1.0/24","lan_name":"maint","maintenance":true},` +
		`{"vlan":1048,"interface":"eth1.1048","address":"10.4.24.1/24","broadcast":"10.4.24.255","lan":"10.4.24.0/24","lan_name":"kunde"}]}`
	if string(got) != want {
		t.Errorf("json:\n%s\nwant:\n%s", got, want)
	}
	var back Plan
	if err := json.Unmarshal(got, &back); err != nil {
		t.Fatal(err)
	}
	if back.Parent != p.Parent || len(back.Links) != 2 || back.Links[1] != p.Links[1] {
		t.Errorf("round trip: got %+v, want %+v", back, p)
	}
}
