// Package parsers turns log bytes into typed records, one streaming parser
// per log format. A line that cannot be parsed is a reject with a reason;
// it never stops the stream. The package opens no files and knows no
// database: callers hand it lines and take records or rejects.
//
// # Text rule
//
// PostgreSQL text columns reject invalid UTF-8 and NUL bytes, but a log line
// can hold anything. Every text field a parser returns is therefore made
// valid by one rule: each byte that is not part of a valid UTF-8 sequence,
// and each NUL byte, is written as "%HH" (a percent sign and two upper-case
// hex digits), the way a URL carries such a byte. Valid UTF-8 passes
// unchanged. The rule never drops a line and never drops a byte's value.
// The line parsers check a whole line once; a line of plain ASCII without
// NUL needs no repair, so their common path neither copies nor allocates.
//
// # Formats
//
// Formats lists every format by its configuration name and the table its
// records fill; the caller switches on Format.Table:
//
//	squid            Squid native access.log        Proxy  (table proxy)  Squid
//	squid-common     Squid logformat common         Proxy                 SquidCommon
//	squid-combined   Squid logformat combined       Proxy                 SquidCommon{Combined: true}
//	apache-common    Apache common                  HTTP   (table http)   NewApache(ApacheCommon, vhost)
//	apache-combined  Apache combined                HTTP                  NewApache(ApacheCombined, vhost)
//	apache-vhost     Apache vhost_combined          HTTP                  NewApache(ApacheVHostCombined, "")
//	postfix          Postfix via syslog or postlogd Mail   (table mta)    NewPostfix(MailOptions)
//	sendmail         Sendmail via syslog            Mail                  NewSendmail(MailOptions)
//
// The line parsers (Squid, SquidCommon, Apache) turn one line into one
// record and keep nothing between lines. The mail logs need more: a
// message's lines are joined by queue id, so MailLog keeps the messages
// still open, and returns them as a MailState that the caller stores
// between runs and hands back to the next one.
//
// A blank line (empty, or only spaces and tabs) is neither a record nor a
// reject: the line parsers return ErrBlank, which callers skip, and
// MailLog counts it as ignored. Detect names the format that reads most
// of a file's first lines, for telling a user which format a file with
// many rejects seems to be in.
//
// # Syslog time stamps
//
// Mail logs are syslog files. A classic time stamp ("Nov 21 13:45:12")
// has neither year nor zone. Its zone is the configured one
// (MailOptions.Location). Its year is inferred from a reference time, the
// log file's modification time (or now): the stamp is put in the
// reference's year, unless that places it more than one day after the
// reference, in which case it belongs to the year before. So
// "Dec 31 23:59:59" in a file last written on January 2nd is last
// December, while a clock running up to a day ahead of the reference does
// not push a line back a year; a February 29 goes back to the last leap
// year. In the hour a DST change repeats, a classic stamp is ambiguous and
// Go's time.Date picks one of the two instants. RFC 3339 stamps
// ("2026-11-21T13:45:12.123456+01:00") carry year and offset and need no
// inference. All times in records are UTC instants.
package parsers
