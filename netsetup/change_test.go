package netsetup

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"testing"
)

func TestChangeJSON(t *testing.T) {
	cs := []Change{
		{Kind: CreateLink, Link: "eth1.1048", VLAN: 1048, Parent: "eth1"},
		{Kind: AddAddr, Link: "eth1.1048", Addr: netip.MustParsePrefix("10.4.24.1/24"), Broadcast: netip.MustParseAddr("10.4.24.255")},
		{Kind: SetUp, Link: "eth1.1048"},
	}
	got, err := json.Marshal(cs)
	if err != nil {
		t.Fatal(err)
	}
	want := `[{"kind":"create-link","link":"eth1.1048","vlan":1048,"parent":"eth1"},` +
		`{"kind":"add-addr","link":"eth1.1048","addr":"10.4.24.1/24","broadcast":"10.4.24.255"},` +
		`{"kind":"set-up","link":"eth1.1048"}]`
	if string(got) != want {
		t.Errorf("json:\n%s\nwant:\n%s", got, want)
	}
	if _, err := json.Marshal(Change{Kind: 99}); err == nil {
		t.Error("an unknown kind marshalled without error")
	}
}

func TestWriteChanges(t *testing.T) {
	cs := []Change{
		{Kind: RemoveLink, Link: "eth1.7", VLAN: 7, Parent: "eth1", Reason: "not in vlan.config"},
		{Kind: DelAddr, Link: "eth1.1048", Addr: netip.MustParsePrefix("10.4.25.1/24"), Reason: "not the address of vlan 1048 (10.4.24.1/24)"},
	}
	tests := []struct {
		cs     []Change
		dryRun bool
		want   string
	}{
		{nil, false, "no change\n"},
		{nil, true, "no change needed\n"},
		{cs, false, "made 2 change(s):\n" +
			"  remove eth1.7 (vlan 7 on eth1): not in vlan.config\n" +
			"  delete address 10.4.25.1/24 from eth1.1048: not the address of vlan 1048 (10.4.24.1/24)\n"},
		{cs, true, "would make 2 change(s):\n" +
			"  remove eth1.7 (vlan 7 on eth1): not in vlan.config\n" +
			"  delete address 10.4.25.1/24 from eth1.1048: not the address of vlan 1048 (10.4.24.1/24)\n"},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		if err := WriteChanges(&b, tt.cs, tt.dryRun); err != nil {
			t.Fatal(err)
		}
		if b.String() != tt.want {
			t.Errorf("WriteChanges(%d changes, dryRun=%v):\n%s\nwant:\n%s", len(tt.cs), tt.dryRun, b.String(), tt.want)
		}
	}
}
