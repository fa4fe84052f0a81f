# Requests and bytes per client (or per user with -v by=user, per second
# in UTC with -v by=second) from
# Squid's common logformat, or its combined one with -v combined=1:
#   common    %>a %[ui %[un [%tl] "%rm %ru HTTP/%rv" %>Hs %<st %Ss:%Sh
#   combined  %>a %[ui %[un [%tl] "%rm %ru HTTP/%rv" %>Hs %<st "%{Referer}>h" "%{User-Agent}>h" %Ss:%Sh
# The user name may hold spaces and quotes, and Squid writes quotes in
# Referer and User-Agent unescaped, so neither end of the line can be
# split on blanks or quotes. What holds: the time stamp's shape, and a
# request of three blank-free words (Squid escapes blanks in the URL)
# followed by status and bytes.
# User names are counted with Squid's %hh escapes undone, as the bytes
# the client sent (Squid lower-cases them itself).
BEGIN {
	tl = "\\[[0-9]{2}/[A-Z][a-z]{2}/[0-9]{4}:[0-9]{2}:[0-9]{2}:[0-9]{2} [-+][0-9]{2}-?[0-9]{2}\\]"
	re = "^([^ ]+) ([^ ]+) (.*) " tl " \"[^ ]* [^ ]* [^ ]*\" ([0-9]+) ([0-9]+) "
	re = re (combined ? "\".*\" [^ ]+$" : "[^ ]+$")
}
match($0, re, m) {
	k = by == "user" ? unpercent(m[3]) : by == "second" ? clfSecond($0) : m[1]
	n[k]++
	b[k] += m[5]
	next
}
{ printf "%s:%d: not a Squid %s line: %s\n", FILENAME, FNR, combined ? "combined" : "common", $0 > "/dev/stderr" }
END { for (k in n) printf "%s\t%d\t%.0f\n", k, n[k], b[k] }
