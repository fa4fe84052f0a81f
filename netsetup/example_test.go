package netsetup_test

import (
	"fmt"
	"net/netip"
	"os"
	"strings"

	"github.com/ispacct/ispacct/netsetup"
)

// What ispacct netsetup --dry-run prints: the plan, then the changes this
// host needs (here: one link with a wrong VLAN id, one VLAN dropped from
// vlan.config and pruned).
func Example_dryRun() {
	vlans, err := netsetup.ParseConfig(strings.NewReader("1 maint\n2\n1048 kunde-mueller\n"), "vlan.config")
	if err != nil {
		fmt.Println(err)
		return
	}
	plan, err := netsetup.NewPlan(netsetup.DefaultParent, vlans)
	if err != nil {
		fmt.Println(err)
		return
	}
	plan.WriteTable(os.Stdout)
	fmt.Println()
	// Apply(ctx, nil, plan, netsetup.Options{DryRun: true, Prune: true}) on
	// such a host returns:
	changes := []netsetup.Change{
		{Kind: netsetup.RemoveLink, Link: "eth1.7", VLAN: 7, Parent: "eth1", Reason: "not in vlan.config"},
		{Kind: netsetup.RecreateLink, Link: "eth1.1048", VLAN: 1048, Parent: "eth1", Reason: "has vlan id 7"},
		{Kind: netsetup.AddAddr, Link: "eth1.1048", Addr: netip.MustParsePrefix("10.4.24.1/24"), Broadcast: netip.MustParseAddr("10.4.24.255")},
		{Kind: netsetup.SetUp, Link: "eth1.1048"},
	}
	netsetup.WriteChanges(os.Stdout, changes, true)
	// Output:
	// VLAN  INTERFACE  ADDRESS       BROADCAST    LAN           LAN NAME
	// 1     eth1.1     10.0.1.1/24   10.0.1.255   10.0.1.0/24   maint (maintenance, not a customer LAN)
	// 2     eth1.2     10.0.2.1/24   10.0.2.255   10.0.2.0/24   vlan2
	// 1048  eth1.1048  10.4.24.1/24  10.4.24.255  10.4.24.0/24  kunde-mueller
	//
	// would make 4 change(s):
	//   remove eth1.7 (vlan 7 on eth1): not in vlan.config
	//   recreate eth1.1048 as vlan 1048 on eth1: has vlan id 7
	//   add address 10.4.24.1/24 brd 10.4.24.255 to eth1.1048
	//   set eth1.1048 up
}
