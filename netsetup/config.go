package netsetup

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// DefaultConfigPath is where vlan.config lives on a CPE.
const DefaultConfigPath = "/usr/local/cpe/etc/vlan.config"

// MaintenanceVLAN is the VLAN of the maintenance LAN (10.0.1.0/24). It gets
// an interface like any other VLAN but is never a customer LAN.
const MaintenanceVLAN = 1

// MinVLAN and MaxVLAN bound an 802.1Q VLAN id (0 and 4095 are reserved).
const (
	MinVLAN = 1
	MaxVLAN = 4094
)

// MaxNameLength is the longest LAN name, in characters.
const MaxNameLength = 64

// VLAN is one line of vlan.config.
type VLAN struct {
	ID   int    // 1..4094
	Name string // the LAN name; "vlan<id>" when the line has none
	Line int    // line in the file, for messages
}

// LineError is one bad line of vlan.config.
type LineError struct {
	File string
	Line int
	Msg  string
}

func (e *LineError) Error() string {
	return fmt.Sprintf("%q line %d: %s", e.File, e.Line, e.Msg)
}

// ConfigError holds every bad line of a vlan.config, so that an admin can
// fix them all in one go.
type ConfigError struct {
	File  string
	Lines []*LineError
}

func (e *ConfigError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "vlan config %q: %d bad line", e.File, len(e.Lines))
	if len(e.Lines) != 1 {
		b.WriteString("s")
	}
	for _, le := range e.Lines {
		b.WriteString("\n\t")
		b.WriteString(le.Error())
	}
	return b.String()
}

// Unwrap lets errors.As find the single line errors.
func (e *ConfigError) Unwrap() []error {
	errs := make([]error, len(e.Lines))
	for i, le := range e.Lines {
		errs[i] = le
	}
	return errs
}

// ReadConfig reads the vlan.config at path.
func ReadConfig(path string) ([]VLAN, error) {
	f, err := os.Open(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path is in the message already
		}
		return nil, fmt.Errorf("open vlan config %q: %w", path, err)
	}
	defer f.Close()
	return ParseConfig(f, path)
}

// ParseConfig reads vlan.config lines from r; file names the source in
// messages. It returns the VLANs in file order, or a *ConfigError listing
// every bad line. A read error ends the parse and is returned as is.
func ParseConfig(r io.Reader, file string) ([]VLAN, error) {
	var (
		vlans  []VLAN
		bad    []*LineError
		byID   = map[int]int{}    // VLAN id -> line
		byName = map[string]int{} // folded name -> line
	)
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if n == 1 {
			line = strings.TrimPrefix(line, "\ufeff") // a BOM left by a Windows editor
		}
		v, msg := parseLine(line)
		if msg == "" && v.ID == 0 {
			continue // blank or comment
		}
		if msg == "" {
			msg = checkUnique(v, byID, byName)
		}
		if msg != "" {
			bad = append(bad, &LineError{File: file, Line: n, Msg: msg})
			continue
		}
		v.Line = n
		byID[v.ID] = n
		byName[foldName(v.Name)] = n
		vlans = append(vlans, v)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			err = fmt.Errorf("a line is longer than %d bytes", bufio.MaxScanTokenSize)
		}
		return nil, fmt.Errorf("read vlan config %q: %w", file, err)
	}
	if len(bad) > 0 {
		return nil, &ConfigError{File: file, Lines: bad}
	}
	return vlans, nil
}

// parseLine parses one line. A blank or comment line gives a zero VLAN and
// no message.
func parseLine(line string) (VLAN, string) {
	if !utf8.ValidString(line) {
		return VLAN{}, "not valid UTF-8"
	}
	if i := strings.IndexByte(line, '#'); i >= 0 {
		line = line[:i]
	}
	fields := strings.Fields(line)
	switch len(fields) {
	case 0:
		return VLAN{}, ""
	case 1, 2:
	default:
		return VLAN{}, fmt.Sprintf("extra fields after the name: %q (want: <vlan-id> [<lan-name>])", strings.Join(fields[2:], " "))
	}
	id, msg := parseID(fields[0])
	if msg != "" {
		return VLAN{}, msg
	}
	name := "vlan" + strconv.Itoa(id)
	if len(fields) == 2 {
		name = fields[1]
		if msg := CheckName(name); msg != "" {
			return VLAN{}, msg
		}
	}
	return VLAN{ID: id, Name: name}, ""
}

func parseID(s string) (int, string) {
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, fmt.Sprintf("vlan id %q is not a number (want: <vlan-id> [<lan-name>])", s)
		}
	}
	id, err := strconv.Atoi(s)
	if err != nil || id < MinVLAN || id > MaxVLAN {
		return 0, fmt.Sprintf("vlan id %s is outside %d..%d", s, MinVLAN, MaxVLAN)
	}
	return id, ""
}

// CheckName says what is wrong with a LAN name, or "" if nothing is; the
// same rule holds for vlan.config and for prefixes loaded by hand. Names
// end up in PostgreSQL text columns, pipe-delimited files and
// spreadsheets, and admins type them in psql: letters (any script),
// digits, '-', '_' and '.', starting with a letter or digit, so that a
// spreadsheet never reads a name as a formula ('=', '+', '-', '@') and no
// quoting is ever needed.
func CheckName(name string) string {
	if n := utf8.RuneCountInString(name); n > MaxNameLength {
		return fmt.Sprintf("lan name %q is longer than %d characters", name, MaxNameLength)
	}
	for i, c := range name {
		switch {
		case unicode.IsLetter(c) || unicode.IsDigit(c):
		case i > 0 && (c == '-' || c == '_' || c == '.'):
		case i == 0:
			return fmt.Sprintf("lan name %q must start with a letter or digit", name)
		default:
			return fmt.Sprintf("lan name %q has %q; allowed are letters, digits, '-', '_' and '.'", name, c)
		}
	}
	return ""
}

func checkUnique(v VLAN, byID map[int]int, byName map[string]int) string {
	if first, ok := byID[v.ID]; ok {
		return fmt.Sprintf("duplicate vlan id %d (first on line %d)", v.ID, first)
	}
	if first, ok := byName[foldName(v.Name)]; ok {
		return fmt.Sprintf("duplicate lan name %q (first on line %d)", v.Name, first)
	}
	return ""
}

// foldName is the key under which two LAN names count as the same: names
// that differ only in case would be told apart by the database but not by
// the people reading the reports.
func foldName(name string) string {
	return strings.ToLower(name)
}
