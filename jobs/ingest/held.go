package ingest

import (
	"fmt"
	"strings"
)

// Held is a file ingest left alone because reading it as it stands would
// load wrong rows: the administrator has to act, and until then every run
// that meets it is partly done.
type Held struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
	Fix    string `json:"fix"` // what to do, a command where one does it
}

func (in *ingester) hold(h Held) {
	in.res.Held = append(in.res.Held, h)
	in.opt.Log.Warn("file left alone", "source", in.src.Name, "file", h.Path, "reason", h.Reason, "fix", h.Fix)
}

// ReloadCommand is the command line that loads path of src again from its
// first line, replacing what was loaded of it before. flags are added
// after the command's name (Options.CommandFlags).
func ReloadCommand(src Source, path, flags string) string {
	cmd := "ispacct ingest" + flags + " --reload --format " + src.Format
	if src.VHost != "" {
		cmd += " --vhost " + shellQuote(src.VHost)
	}
	return cmd + " " + shellQuote(path)
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._-+:@,=", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// changed holds a file that no longer holds, where the last run stopped,
// what that run read: it was cut or rewritten since.
func (in *ingester) changed(path string, e fileEntry, how string) Held {
	return Held{Path: path,
		Reason: fmt.Sprintf("changed since it was read: %s; %d lines were loaded from it, nothing more was read", how, e.lines),
		Fix:    fmt.Sprintf("'%s' replaces what was loaded from it by what it holds now", ReloadCommand(in.src, path, in.opt.CommandFlags))}
}
