# Deliveries from Postfix's log (syslog or maillog_file): the queue
# manager's "QID: from=<s>, size=N" gives a message's sender and size, a
# delivery agent's "QID: to=<r>, ... status=S" one delivery attempt.
#   default      key "recipient status": attempts, and the size of each
#   -v by=in     key recipient in -v local=DOMAIN: messages, their bytes
#   -v by=out    key sender in DOMAIN: messages with a delivery, bytes
#   -v per=domain with by=in or by=out: key the mailbox's domain instead
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
	delivery(m[1], m[2], m[3])
	next
}
match($0, / postfix\/qmgr\[[0-9]+\]: ([0-9A-Za-z]+): from=<[^>]*>, status=expired,/, m) {
	q = m[1]
	for (i = 1; i <= nr[q]; i++)
		if (last[q, rc[q, i]] == "deferred")
			delivery(q, rc[q, i], "expired")
	next
}
/ postfix\/[a-z]+\[[0-9]+\]: [0-9A-Za-z]+: to=</ {
	printf "%s:%d: a delivery line without a status: %s\n", FILENAME, FNR, $0 > "/dev/stderr"
}
function delivery(q, to, st) {
	nd++
	dq[nd] = q; dto[nd] = to; dst[nd] = st
	if (!((q, to) in last))
		rc[q, ++nr[q]] = to
	last[q, to] = st
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
			k = dto[i] " " dst[i]
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
