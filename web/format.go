package web

import (
	"fmt"
	"html/template"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The page shows numbers as the workbook does (jobs/report/workbook.go):
// megabytes are bytes / 2^20 with two decimals, counts with thousands
// separators; exact byte counts stand beside them.

const mib = 1 << 20

// count is an integer with thousands separators: 1,234,567.
func count(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// mb is bytes as megabytes, two decimals: 1,234.57.
func mb(bytes int64) string {
	v := float64(bytes) / mib
	whole := int64(v)
	frac := int64((v-float64(whole))*100 + 0.5)
	if frac == 100 {
		whole, frac = whole+1, 0
	}
	return fmt.Sprintf("%s.%02d", count(whole), frac)
}

// percent is a share 0..1 with one decimal: 12.3%.
func percent(a, b int64) string {
	if b == 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(a)/float64(b))
}

// duration is seconds, readable: 0.4 s, 12 s, 3 min 5 s, 2 h 10 min.
func duration(sec float64) string {
	switch {
	case sec < 10:
		return fmt.Sprintf("%.1f s", sec)
	case sec < 120:
		return fmt.Sprintf("%.0f s", sec)
	case sec < 7200:
		return fmt.Sprintf("%d min %d s", int(sec)/60, int(sec)%60)
	}
	return fmt.Sprintf("%d h %d min", int(sec)/3600, int(sec)%3600/60)
}

// shown is a raw log line as text a person can read: invalid UTF-8 and
// control characters as escapes, cut after max characters; whole is the
// line's length in bytes, to say when it was cut. The template then
// escapes it for HTML.
func shown(raw []byte, max int, whole int64) string {
	var b strings.Builder
	n, total := 0, len(raw)
	for len(raw) > 0 && n < max {
		r, size := utf8.DecodeRune(raw)
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, `\x%02x`, raw[0])
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			b.WriteRune(r)
		}
		raw = raw[size:]
		n++
	}
	if used := int64(total - len(raw)); used < whole {
		fmt.Fprintf(&b, " … (%s bytes)", count(whole))
	}
	return b.String()
}

// funcs are the template functions; when and day follow the configured zone.
func (s *Server) funcs() template.FuncMap {
	return template.FuncMap{
		"count":    count,
		"mb":       mb,
		"percent":  percent,
		"duration": duration,
		"when": func(t time.Time) string {
			if t.IsZero() {
				return "–"
			}
			return t.In(s.cfg().Loc).Format("2006-01-02 15:04:05")
		},
		"whenp": func(t *time.Time) string {
			if t == nil {
				return "–"
			}
			return t.In(s.cfg().Loc).Format("2006-01-02 15:04:05")
		},
		// date is a date column (pgx gives midnight UTC).
		"date": func(t time.Time) string { return t.Format("2006-01-02") },
		"lan": func(name string) string {
			if name == "" {
				return "unassigned"
			}
			return name
		},
	}
}
