# Deliveries from Postfix's log (syslog or maillog_file): the queue
# manager's "QID: from=<s>, size=N" gives a message's sender and size, a
# delivery agent's "QID: to=<r>, ... status=S" one delivery attempt.
#   default      key "recipient status": attempts, and the size of each
#   -v by=in     key recipient in -v local=DOMAIN: messages, their bytes
#   -v by=out    key sender in DOMAIN: messages with a delivery, bytes
#   -v per=domain with by=in or by=out: key the mailbox's domain instead
#   -v by=second key the attempt's time in UTC: the line's local time in
#                the zone -v offset=SECONDS east of UTC, in -v year=YYYY
# Addresses are compared in lower case for in and out, as mailboxes.
# The queue manager's "QID: from=<s>, status=expired" gives up a message:
# it counts as an "expired" attempt for each recipient whose last attempt
# was deferred (as ispacct's README has it: one row per recipient).
match($0, / postfix\/qmgr\[[0-9]+\]: ([0-9A-Za-z]+): from=<([^>]*)>, size=([0-9]+),/, m) {
	size[m[1]] = m[3]
	from[m[1]] = m[2]
	next
}
match($0, / postfix\/[a-z]+\[[0-9]+\]: ([0-9A-Za-z]+): to=<([^>]*)>, .* status=([a-z]+)/, m) {
	delivery(m[1], m[2], m[3], utc($0))
	next
}
match($0, / postfix\/qmgr\[[0-9]+\]: ([0-9A-Za-z]+): from=<[^>]*>, status=expired,/, m) {
	q = m[1]
	for (i = 1; i <= nr[q]; i++)
		if (last[q, rc[q, i]] == "deferred")
			delivery(q, rc[q, i], "expired", utc($0))
	next
}
/ postfix\/[a-z]+\[[0-9]+\]: [0-9A-Za-z]+: to=</ {
	printf "%s:%d: a delivery line without a status: %s\n", FILENAME, FNR, $0 > "/dev/stderr"
}
function delivery(q, to, st, when) {
	nd++
	dq[nd] = q; dto[nd] = to; dst[nd] = st; dtime[nd] = when
	if (!((q, to) in last))
		rc[q, ++nr[q]] = to
	last[q, to] = st
}
# utc reads a syslog time stamp ("Dec  6 18:57:41" or maillog_file's
# "Dec 06 18:57:41") as "yyyy-mm-dd hh:mm:ss" in UTC (run with TZ=UTC).
function utc(line,    t, mon) {
	if (!match(line, /^([A-Z][a-z]{2}) +([0-9]{1,2}) ([0-9]{2}):([0-9]{2}):([0-9]{2}) /, t))
		return "?"
	mon = (index("JanFebMarAprMayJunJulAugSepOctNovDec", t[1]) + 2) / 3
	return strftime("%Y-%m-%d %H:%M:%S", mktime(year " " mon " " t[2] " " t[3] " " t[4] " " t[5]) - offset, 1)
}
function domain(a) { sub(/.*@/, "", a); return tolower(a) }
END {
	for (i = 1; i <= nd; i++) {
		q = dq[i]
		if (!(q in size)) {
			printf "delivery of %s before its qmgr line\n", q > "/dev/stderr"
			continue
		}
		if (by == "in" || by == "out") {
			k = tolower(by == "in" ? dto[i] : from[q])
			if (domain(k) != local)
				continue
			if (per == "domain")
				k = domain(k)
			if ((k SUBSEP q) in seen)
				continue
		} else {
			k = by == "second" ? dtime[i] : dto[i] " " dst[i]
			n[k]++
			b[k] += size[q]
			continue
		}
		seen[k, q] = 1
		n[k]++
		b[k] += size[q]
	}
	for (k in n) printf "%s\t%d\t%.0f\n", k, n[k], b[k]
}
