package netsetup

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// WriteTable prints the plan as an aligned table, one VLAN a row, for
// --dry-run and for an admin checking a vlan.config before a reboot.
func (p Plan) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "VLAN\tINTERFACE\tADDRESS\tBROADCAST\tLAN\tLAN NAME")
	for _, l := range p.Links {
		name := l.Name
		if l.Maintenance {
			name += " (maintenance, not a customer LAN)"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", l.VLAN, l.Interface, l.Address, l.Broadcast, l.LAN, name)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write plan: %w", err)
	}
	return nil
}
