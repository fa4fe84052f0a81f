package parsers

import (
	"bytes"
	"time"
)

// Detection is what Detect found in a file's first lines.
type Detection struct {
	Format string // the format that reads most of them; "" if none reads any
	Read   int    // lines Format reads
	Lines  int    // lines looked at, blank lines not counted
}

// Detect tries every format on lines (a file's first lines, a hundred
// say) and names the one that reads most of them; ok says it reads more
// than half. It is for telling a user which format a file seems to be in
// when most of its lines are rejected.
//
// The Apache parsers ignore what follows a format's last field, so here
// an Apache format reads a line only if the line ends with that field:
// otherwise Apache's common would read every Squid common line. Formats
// are tried from the most specific to the most general, and a more
// specific one wins when it reads at least nine tenths of what the best
// one reads.
//
// A mail log line is read by a mail format when it is a syslog line, and
// the file has lines of that MTA's programs (postfix/..., sendmail,
// sm-mta...): other programs' lines are ignored, not rejected, when such
// a file is ingested.
func Detect(lines [][]byte) (Detection, bool) {
	order := []string{"squid", "squid-combined", "squid-common", "apache-vhost", "apache-combined", "apache-common", "postfix", "sendmail"}
	read := make(map[string]int, len(order))
	n := 0
	var rec Proxy
	var hrec HTTP
	proxies := map[string]ProxyParser{}
	https := map[string]HTTPParser{}
	for _, f := range Formats {
		switch f.Table {
		case TableProxy:
			proxies[f.Name] = f.NewProxy()
		case TableHTTP:
			https[f.Name] = f.NewHTTP("")
		}
	}
	var clock syslogClock
	clock.setRef(time.Now(), time.UTC)
	var h syslogHeader
	syslogLines, postfixLines, sendmailLines := 0, 0, 0
	for _, line := range lines {
		if isBlank(line) {
			continue
		}
		n++
		for name, p := range proxies {
			if p.Parse(line, &rec) == nil {
				read[name]++
			}
		}
		for name, p := range https {
			if p.Parse(line, &hrec) == nil && endsAsApache(name, line) {
				read[name]++
			}
		}
		if clock.header(line, &h) == nil {
			syslogLines++
			switch {
			case isPostfixTag(h.Tag):
				postfixLines++
			case isSendmailTag(h.Tag):
				sendmailLines++
			}
		}
	}
	switch {
	case postfixLines > 0 && postfixLines >= sendmailLines:
		read["postfix"] = syslogLines
	case sendmailLines > 0:
		read["sendmail"] = syslogLines
	}

	best := 0
	for _, c := range read {
		best = max(best, c)
	}
	d := Detection{Lines: n}
	if best == 0 {
		return d, false
	}
	for _, name := range order {
		if c := read[name]; c*10 >= best*9 {
			d.Format, d.Read = name, c
			break
		}
	}
	return d, d.Read*2 > d.Lines
}

// endsAsApache reports whether line ends with the last field of the
// Apache format: the Apache parsers ignore what follows it, and would
// read every Squid common line as Apache's common, say.
func endsAsApache(format string, line []byte) bool {
	line = trimSpace(line)
	if format == "apache-common" {
		_, last, ok := cutLastField(line)
		return ok && isSizeField(last)
	}
	return len(line) > 0 && line[len(line)-1] == '"'
}

// isPostfixTag reports whether a syslog tag is a Postfix program's:
// "postfix/smtpd", "postfix-out/qmgr", "postfix/submission/smtpd".
func isPostfixTag(tag []byte) bool {
	last := bytes.LastIndexByte(tag, '/')
	if last <= 0 {
		return false
	}
	if hasPrefix(tag, "postfix") {
		return true
	}
	// Another syslog_name ("mx1/smtpd"): a Postfix program's name.
	switch string(tag[last+1:]) {
	case "smtpd", "smtp", "qmgr", "cleanup", "pickup", "local", "virtual", "lmtp", "pipe", "bounce", "error",
		"discard", "postscreen", "anvil", "trivial-rewrite", "postsuper", "master", "scache", "tlsmgr", "dnsblog":
		return true
	}
	return false
}

// isSendmailTag reports whether a syslog tag is Sendmail's.
func isSendmailTag(tag []byte) bool {
	if i := bytes.LastIndexByte(tag, '/'); i >= 0 {
		tag = tag[i+1:]
	}
	return string(tag) == "sendmail" || hasPrefix(tag, "sm-")
}
