package config

import (
	"net/url"
	"strings"
)

// masked stands in for a secret in what ispacct prints.
const masked = "xxxxx"

// secretKeys are the connection settings that hold a secret.
var secretKeys = map[string]bool{"password": true, "sslpassword": true}

// MaskConnString returns a PostgreSQL connection string with its secrets
// replaced by xxxxx, in every form pgx accepts: a URL's user:password@
// and its ?password= query, and keyword/value pairs, quoted or not. A
// string that cannot be read is hidden whole: what cannot be parsed
// cannot be shown to be free of secrets.
func MaskConnString(s string) string {
	if s == "" {
		return ""
	}
	if strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://") {
		return maskURL(s)
	}
	return maskKeywordValue(s)
}

const unreadable = "(unreadable connection string, hidden)"

func maskURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return unreadable
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), masked)
		}
	}
	if u.RawQuery != "" {
		q, err := url.ParseQuery(u.RawQuery)
		if err != nil {
			return unreadable
		}
		for k := range q {
			if secretKeys[strings.ToLower(k)] {
				q[k] = []string{masked}
			}
		}
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// maskKeywordValue reads "key=value key='quoted \' value'" as pgx does
// (libpq's rules) and writes it back with secret values masked, the rest
// unchanged.
func maskKeywordValue(s string) string {
	var out strings.Builder
	rest := s
	for {
		trimmed := strings.TrimLeft(rest, " \t\n\r\v\f")
		out.WriteString(rest[:len(rest)-len(trimmed)])
		rest = trimmed
		if rest == "" {
			return out.String()
		}
		eq := strings.IndexByte(rest, '=')
		if eq < 0 {
			return unreadable
		}
		key := strings.TrimRight(rest[:eq], " \t\n\r\v\f")
		if key == "" || strings.ContainsAny(key, " \t\n\r\v\f") {
			return unreadable
		}
		out.WriteString(rest[:eq+1])
		rest = rest[eq+1:]
		trimmed = strings.TrimLeft(rest, " \t\n\r\v\f")
		out.WriteString(rest[:len(rest)-len(trimmed)])
		rest = trimmed
		n, ok := valueLen(rest)
		if !ok {
			return unreadable
		}
		if secretKeys[strings.ToLower(key)] {
			out.WriteString(masked)
		} else {
			out.WriteString(rest[:n])
		}
		rest = rest[n:]
	}
}

// valueLen is the length of the value at the start of s: a quoted one up
// to its closing quote, a bare one up to white space; a backslash escapes
// the next character in both.
func valueLen(s string) (int, bool) {
	if strings.HasPrefix(s, "'") {
		for i := 1; i < len(s); i++ {
			switch s[i] {
			case '\\':
				i++
			case '\'':
				return i + 1, true
			}
		}
		return 0, false // no closing quote
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case ' ', '\t', '\n', '\r', '\v', '\f':
			return i, true
		}
	}
	return len(s), true
}
