# Requests and bytes from Apache's logs, in Debian's formats:
#   common          %h %l %u %t "%r" %>s %O
#   combined        %h %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i"
#   vhost_combined  %v:%p %h %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i"
# -v shape=common|combined|vhost picks one; -v by=client|user|vhost the
# key (by=second: the time in UTC; "vhost client" for by=vhost: the vhost is %v without its port, or
# -v vhost=NAME for a per-virtual-host log). Apache escapes " and \ in
# the quoted fields, not in the user name, which may hold blanks: the
# user is what lies between %l and the time stamp's shape. Apache writes
# bytes outside printable ASCII as \xhh; user names are reported with
# those escapes undone, as the bytes the client sent. A client logged by
# name (HostnameLookups) is counted by its name.
BEGIN {
	tl = "\\[[0-9]{2}/[A-Z][a-z]{2}/[0-9]{4}:[0-9]{2}:[0-9]{2}:[0-9]{2} [-+][0-9]{4}\\]"
	q = "\"([^\"\\\\]|\\\\.)*\""
	re = "^([^ ]+) ([^ ]+) (.*) " tl " " q " ([0-9]{3}) ([0-9]+|-)"
	if (shape == "vhost")
		re = "^([^ ]+):[0-9]+ " substr(re, 2)
	re = re (shape == "common" ? "$" : " " q " " q "$")
	if (by == "")
		by = "client"
}
match($0, re, m) {
	if (shape == "vhost") {
		v = m[1]; client = m[2]; user = m[4]; size = m[7]
	} else {
		v = vhost; client = m[1]; user = m[3]; size = m[6]
	}
	k = by == "user" ? unbackslash(user) : by == "vhost" ? v " " client : by == "second" ? clfSecond($0) : client
	n[k]++
	b[k] += size == "-" ? 0 : size
	next
}
{ printf "%s:%d: not an Apache %s line: %s\n", FILENAME, FNR, shape, $0 > "/dev/stderr" }
END { for (k in n) printf "%s\t%d\t%.0f\n", k, n[k], b[k] }

