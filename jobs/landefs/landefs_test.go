package landefs

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/ispacct/ispacct/netsetup"
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
		{"=cmd 10.0.0.0/24\n", `lans.txt:1: lan name "=cmd" must start with a letter or digit`},
		{"kunde|1 10.0.0.0/24\n", `lans.txt:1: lan name "kunde|1" has '|'`},
		{"k\xff 10.0.0.0/24\n", `lans.txt:1: lan name`},
	} {
		_, err := Parse(strings.NewReader(tt.in), "lans.txt")
		var fe *FileError
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%q) = %v, want a FileError with %q", tt.in, err, tt.want)
		}
	}
}

// FuzzParse: whatever the file, Parse returns defs that the database and
// the reports take as they are, or a FileError naming a line.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"mueller 10.4.24.0/24 # VLAN 1048\nweber-lab\t10.0.5.128/25\n", "v6 2001:db8::/48\n", "a 10.4.24.1/24\n", "=x 1.2.3.0/24"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		defs, err := Parse(strings.NewReader(in), "lans.txt")
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) && !strings.Contains(err.Error(), "token too long") {
				t.Fatalf("error %v is no FileError", err)
			}
			return
		}
		seen := map[netip.Prefix]bool{}
		for _, d := range defs {
			if netsetup.CheckName(d.LAN) != "" || !d.Prefix.IsValid() || d.Prefix != d.Prefix.Masked() || seen[d.Prefix] {
				t.Fatalf("accepted %+v from %q", d, in)
			}
			seen[d.Prefix] = true
		}
	})
}
