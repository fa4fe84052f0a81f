# Functions the counting programs share (run with LC_ALL=C, so that %c
# writes one byte).

# unbackslash undoes Apache's ap_escape_logitem: \xhh, \" and \\.
function unbackslash(s,    out, i, c, h) {
	out = ""
	for (i = 1; i <= length(s); i++) {
		c = substr(s, i, 1)
		if (c == "\\") {
			h = substr(s, i + 2, 2)
			if (substr(s, i + 1, 1) == "x" && h ~ /^[0-9a-fA-F][0-9a-fA-F]$/) {
				out = out sprintf("%c", strtonum("0x" h))
				i += 3
				continue
			}
			if (substr(s, i + 1, 1) ~ /["\\]/) {
				out = out substr(s, i + 1, 1)
				i++
				continue
			}
		}
		out = out c
	}
	return out
}

# unpercent undoes Squid's %hh escapes of bytes outside printable ASCII
# (a literal % is %25).
function unpercent(s,    out) {
	out = ""
	while (match(s, /%[0-9a-fA-F][0-9a-fA-F]/)) {
		out = out substr(s, 1, RSTART - 1) sprintf("%c", strtonum("0x" substr(s, RSTART + 1, 2)))
		s = substr(s, RSTART + 3)
	}
	return out s
}

# clfSecond turns the first [dd/Mon/yyyy:hh:mm:ss +hhmm] of a line into
# "yyyy-mm-dd hh:mm:ss" in UTC (run with TZ=UTC). Squid 5 writes a
# negative offset with minutes as -hh-mm (-03-30 for -0330).
function clfSecond(line,    t, mon, e, off) {
	if (!match(line, /\[([0-9]{2})\/([A-Z][a-z]{2})\/([0-9]{4}):([0-9]{2}):([0-9]{2}):([0-9]{2}) ([-+])([0-9]{2})-?([0-9]{2})\]/, t))
		return "?"
	mon = (index("JanFebMarAprMayJunJulAugSepOctNovDec", t[2]) + 2) / 3
	e = mktime(t[3] " " mon " " t[1] " " t[4] " " t[5] " " t[6])
	off = (t[8] * 3600 + t[9] * 60) * (t[7] == "-" ? -1 : 1)
	return strftime("%Y-%m-%d %H:%M:%S", e - off, 1)
}
