package netsetup

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
)

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []VLAN
	}{
		{"empty", "", nil},
		{"only comments and blanks", "# nothing\n\n   \n\t# still nothing\n", nil},
		{"id and name", "1048 kunde-mueller\n", []VLAN{{1048, "kunde-mueller", 1}}},
		{"default name", "2\n", []VLAN{{2, "vlan2", 1}}},
		{"trailing comment", "255 shop # the shop\n", []VLAN{{255, "shop", 1}}},
		{"comment right after id", "256# no space\n", []VLAN{{256, "vlan256", 1}}},
		{"tabs and spaces", "\t4094 \t last  \n", []VLAN{{4094, "last", 1}}},
		{"CRLF line ends", "1 maint\r\n7 seven\r\n", []VLAN{{1, "maint", 1}, {7, "seven", 2}}},
		{"no final newline", "9 nine", []VLAN{{9, "nine", 1}}},
		{"byte order mark", "\ufeff3 three\n", []VLAN{{3, "three", 1}}},
		{"leading zeros", "007 bond\n", []VLAN{{7, "bond", 1}}},
		{"unicode letters", "12 Bäckerei_Schmidt\n", []VLAN{{12, "Bäckerei_Schmidt", 1}}},
		{"dots and digits", "13 2nd.floor\n", []VLAN{{13, "2nd.floor", 1}}},
		{"file order kept", "30 c\n10 a\n20 b\n", []VLAN{{30, "c", 1}, {10, "a", 2}, {20, "b", 3}}},
		{"line numbers count blanks", "\n# x\n5 five\n", []VLAN{{5, "five", 3}}},
		{"longest name", "5 " + strings.Repeat("ä", MaxNameLength) + "\n", []VLAN{{5, strings.Repeat("ä", MaxNameLength), 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseConfig(strings.NewReader(tt.in), "vlan.config")
			if err != nil {
				t.Fatalf("ParseConfig: %v", err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestParseConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string // one message per bad line, in order
	}{
		{"id zero", "0 x\n", []string{`line 1: vlan id 0 is outside 1..4094`}},
		{"id too high", "4095 x\n", []string{`line 1: vlan id 4095 is outside 1..4094`}},
		{"id huge", "99999999999999999999 x\n", []string{`line 1: vlan id 99999999999999999999 is outside 1..4094`}},
		{"id not a number", "abc\n", []string{`line 1: vlan id "abc" is not a number`}},
		{"negative id", "-5 x\n", []string{`line 1: vlan id "-5" is not a number`}},
		{"plus sign", "+5 x\n", []string{`line 1: vlan id "+5" is not a number`}},
		{"extra fields", "12 two words\n", []string{`line 1: extra fields after the name: "words"`}},
		{"duplicate id", "5 a\n\n5 b\n", []string{`line 3: duplicate vlan id 5 (first on line 1)`}},
		{"duplicate name", "5 a\n6 a\n", []string{`line 2: duplicate lan name "a" (first on line 1)`}},
		{"names differing in case", "5 Kunde\n6 kunde\n", []string{`line 2: duplicate lan name "kunde" (first on line 1)`}},
		{"default name taken", "5 vlan6\n6\n", []string{`line 2: duplicate lan name "vlan6" (first on line 1)`}},
		{"formula", "9 =cmd()\n", []string{`line 1: lan name "=cmd()" must start with a letter or digit`}},
		{"leading dash", "9 -x\n", []string{`line 1: lan name "-x" must start with a letter or digit`}},
		{"semicolon", "9 a;b\n", []string{`line 1: lan name "a;b" has ';'`}},
		{"pipe", "9 a|b\n", []string{`line 1: lan name "a|b" has '|'`}},
		{"quote", "9 o'neil\n", []string{`line 1: lan name "o'neil" has '\''`}},
		{"too long", "9 " + strings.Repeat("a", MaxNameLength+1) + "\n", []string{`is longer than 64 characters`}},
		{"invalid utf-8", "9 a\xffb\n", []string{`line 1: not valid UTF-8`}},
		{"all errors, not the first", "0\n1 a\n1 b\nx\n2 a\n", []string{
			`line 1: vlan id 0 is outside`,
			`line 3: duplicate vlan id 1 (first on line 2)`,
			`line 4: vlan id "x" is not a number`,
			`line 5: duplicate lan name "a" (first on line 2)`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseConfig(strings.NewReader(tt.in), "/etc/vlan.config")
			if err == nil {
				t.Fatalf("ParseConfig = %v, want an error", got)
			}
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("error %T is not a *ConfigError: %v", err, err)
			}
			if len(ce.Lines) != len(tt.want) {
				t.Fatalf("got %d bad lines, want %d:\n%v", len(ce.Lines), len(tt.want), err)
			}
			for i, le := range ce.Lines {
				if !strings.Contains(le.Error(), tt.want[i]) {
					t.Errorf("line error %d = %q, want it to contain %q", i, le.Error(), tt.want[i])
				}
				if !strings.HasPrefix(le.Error(), `"/etc/vlan.config" line `) {
					t.Errorf("line error %q does not name the file", le.Error())
				}
			}
			if !strings.Contains(err.Error(), `"/etc/vlan.config"`) {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
}

func TestReadConfigExample(t *testing.T) {
	got, err := ReadConfig("testdata/vlan.config")
	if err != nil {
		t.Fatal(err)
	}
	want := []VLAN{
		{1, "maint", 2},
		{1048, "kunde-mueller", 4},
		{2, "vlan2", 5},
		{255, "Bäckerei_Schmidt", 6},
		{256, "praxis.nord", 7},
		{4094, "last", 8},
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
}

// TestReadConfigBad checks that one pass reports every mistake of a file,
// with its line, so an admin can fix them all at once.
func TestReadConfigBad(t *testing.T) {
	_, err := ReadConfig("testdata/bad.config")
	var ce *ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("want a *ConfigError, got %v", err)
	}
	want := map[int]string{
		3:  "vlan id 0 is outside 1..4094",
		4:  "vlan id 4095 is outside 1..4094",
		5:  `vlan id "abc" is not a number`,
		6:  `extra fields after the name: "words"`,
		7:  "duplicate vlan id 1048 (first on line 2)",
		8:  `duplicate lan name "kunde" (first on line 2)`,
		9:  `duplicate lan name "KUNDE" (first on line 2)`,
		10: `lan name "=cmd()" must start with a letter or digit`,
		11: `lan name "semi;colon" has ';'`,
		12: `vlan id "-5" is not a number`,
		13: `vlan id "+6" is not a number`,
		15: `duplicate lan name "vlan13" (first on line 14)`,
		17: "not valid UTF-8",
	}
	got := map[int]string{}
	for _, le := range ce.Lines {
		if le.File != "testdata/bad.config" {
			t.Errorf("line %d: file %q", le.Line, le.File)
		}
		got[le.Line] = le.Msg
	}
	for line, msg := range want {
		if !strings.Contains(got[line], msg) {
			t.Errorf("line %d: got %q, want %q", line, got[line], msg)
		}
	}
	for line, msg := range got {
		if _, ok := want[line]; !ok {
			t.Errorf("line %d: unexpected error %q", line, msg)
		}
	}
	if t.Failed() {
		t.Logf("whole error:\n%v", err)
	}
}

func TestReadConfigMissing(t *testing.T) {
	_, err := ReadConfig("testdata/no-such.config")
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("want a not-exist error, got %v", err)
	}
	if !strings.Contains(err.Error(), `"testdata/no-such.config"`) {
		t.Errorf("error %q does not name the file", err)
	}
}

// exampleConfig is testdata/vlan.config; the VM has no source tree.
const exampleConfig = `# vlan.config of a small CPE: <vlan-id> [<lan-name>]
1    maint        # maintenance LAN, 10.0.1.0/24

1048 kunde-mueller
2                 # no name: becomes vlan2
255  Bäckerei_Schmidt
256  praxis.nord
4094 last   # the highest VLAN id
`

// The VM test cannot read testdata, so it carries a copy of the example.
func TestExampleConfigIsTestdata(t *testing.T) {
	b, err := os.ReadFile("testdata/vlan.config")
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != exampleConfig {
		t.Errorf("exampleConfig in apply_linux_test.go differs from testdata/vlan.config")
	}
}

// FuzzParseConfig: whatever vlan.config holds, ParseConfig gives VLANs with
// ids in range and valid, distinct names, or a ConfigError naming lines.
func FuzzParseConfig(f *testing.F) {
	for _, s := range []string{"1 maint\n1048 kunde-mueller\n", "\ufeff3 three\r\n", "007 bond # x\n", "5 =x\n4095\n", "2 a\n2 b\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		vlans, err := ParseConfig(strings.NewReader(in), "vlan.config")
		if err != nil {
			var ce *ConfigError
			if errors.As(err, &ce) && len(ce.Lines) == 0 {
				t.Fatal("a ConfigError without lines")
			}
			return
		}
		ids, names := map[int]bool{}, map[string]bool{}
		for _, v := range vlans {
			if v.ID < MinVLAN || v.ID > MaxVLAN || CheckName(v.Name) != "" || ids[v.ID] || names[foldName(v.Name)] || v.Line < 1 {
				t.Fatalf("accepted %+v from %q", v, in)
			}
			ids[v.ID], names[foldName(v.Name)] = true, true
		}
	})
}
