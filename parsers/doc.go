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
package parsers
