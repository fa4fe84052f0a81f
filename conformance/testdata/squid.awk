# Requests and bytes per client (or per user with -v by=user, per second
# in UTC with -v by=second) from
# Squid's native access.log:
#   %ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un %Sh/%<a %mt
# The client ($3) and the bytes sent ($5) come before any field that can
# hold a blank; the user name, which can, lies between the URL ($7) and
# the last two fields. Prints "key<TAB>requests<TAB>bytes"; a line it
# cannot read goes to stderr.
# User names are counted with Squid's %hh escapes undone, as the bytes
# the client sent (Squid lower-cases them itself).
$1 ~ /^[0-9]+\.[0-9]{3}$/ && $2 ~ /^[0-9]+$/ && $5 ~ /^[0-9]+$/ && NF >= 10 {
	k = $3
	if (by == "second")
		k = strftime("%Y-%m-%d %H:%M:%S", int($1), 1)
	if (by == "user") {
		k = $8
		for (i = 9; i <= NF - 2; i++)
			k = k " " $i
		k = unpercent(k)
	}
	n[k]++
	b[k] += $5
	next
}
{ printf "%s:%d: not a Squid access.log line: %s\n", FILENAME, FNR, $0 > "/dev/stderr" }
END { for (k in n) printf "%s\t%d\t%.0f\n", k, n[k], b[k] }
