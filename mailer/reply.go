package mailer

import (
	"strings"
	"unicode/utf8"
)

// MaxReply bounds the server text ispacct keeps from one reply. Replies
// go into logs, the runs table, status --json and the outbox: a server
// may say anything, at any length, there.
const MaxReply = 300

// CleanReply makes server text fit to be stored: one line, at most
// MaxReply bytes, and whatever follows an AUTH command redacted, since a
// server that echoes the command it refuses echoes the credentials with
// it.
func CleanReply(s string) string {
	s = strings.Join(strings.Fields(strings.ToValidUTF8(s, "?")), " ")
	if i := authAt(s); i >= 0 {
		s = s[:i+len("AUTH")] + " [redacted]"
	}
	if len(s) <= MaxReply {
		return s
	}
	cut := MaxReply - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// authAt finds the word AUTH (any case) in s: at the start or after a
// non-letter, followed by a space or the end.
func authAt(s string) int {
	up := strings.ToUpper(s)
	for off := 0; ; {
		i := strings.Index(up[off:], "AUTH")
		if i < 0 {
			return -1
		}
		i += off
		end := i + len("AUTH")
		before := i == 0 || !isLetter(up[i-1])
		after := end == len(up) || up[end] == ' ' || up[end] == '='
		if before && after {
			return i
		}
		off = end
	}
}

func isLetter(c byte) bool { return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' }
