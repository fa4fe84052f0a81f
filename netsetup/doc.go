// Package netsetup creates the customer VLAN interfaces and their addresses
// at boot, from vlan.config. Its plan also names the customer LANs, which
// jobs/landefs writes to the landefs table (netsetup plans; it never
// writes to the database).
//
// The work is split so that each step can be checked on its own:
//
//   - ReadConfig / ParseConfig read vlan.config and report every error of
//     the file at once, with its line.
//   - NewPlan turns the VLAN list into interfaces and addresses: VLAN v is
//     interface <parent>.<v> with 10.(v/256).(v%256).1/24. The plan is pure
//     data; WriteTable prints it for --dry-run and it marshals to JSON.
//   - Apply reconciles the kernel with the plan over netlink and returns the
//     changes it made (or, with DryRun, would make). A second run changes
//     nothing.
//   - CustomerLANs is what jobs/landefs.Sync makes the landefs rows that
//     came from vlan.config match.
//
// # What Apply manages
//
// Apply owns the links named <parent>.<n> (n a number): those in the plan
// are created or corrected, those that are VLANs on the parent but not in
// the plan are removed when Prune is set and left alone otherwise. On a
// link it owns, it removes the IPv4 addresses that look like a VLAN server
// address (10.a.b.1, for any VLAN 1..4094) but are not the planned one;
// any other address (an extra prefix added by hand) is left alone. It
// brings the parent up, because VLAN links carry nothing while their parent
// is down (and the kernel refuses to bring one up before), but never
// changes the parent's addresses. Every other link is never touched; note
// that the kernel itself brings all VLANs of a parent up with it. When what it finds is ambiguous (a planned name used by a
// link that is not a VLAN, or a planned VLAN id held by a link it does not
// own) it stops before changing anything and says why: it reconciles, it
// never guesses.
package netsetup
