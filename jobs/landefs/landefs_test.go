package landefs

import (
	"errors"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	defs, err := Parse(strings.NewReader("# LANs\nmueller 10.4.24.0/24 # VLAN 1048\n\nweber-lab\t10.0.5.128/25\nv6 2001:db8::/48\n"), "lans.txt")
	if err != nil || len(defs) != 3 || defs[1].LAN != "weber-lab" || defs[1].Prefix.Bits() != 25 || defs[0].Origin != "manual" {
		t.Fatalf("Parse = %+v, %v", defs, err)
	}
	for _, tt := range []struct{ in, want string }{
		{"mueller\n", `lans.txt:1: want "<lan_name> <prefix>"`},
		{"a 10.0.0.0/24 extra\n", `lans.txt:1: want`},
		{"\na 10.0.0/24\n", `lans.txt:2: "10.0.0/24" is not a prefix`},
		{"a 10.4.24.1/24\n", "lans.txt:1: 10.4.24.1/24 has host bits set; the network is 10.4.24.0/24"},
		{"a 10.0.0.0/24\nb 10.0.0.0/24\n", "lans.txt:2: prefix 10.0.0.0/24 already given on line 1"},
	} {
		_, err := Parse(strings.NewReader(tt.in), "lans.txt")
		var fe *FileError
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%q) = %v, want a FileError with %q", tt.in, err, tt.want)
		}
	}
}
