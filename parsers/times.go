package parsers

import (
	"encoding/binary"
	"time"
)

// digits2 parses exactly two ASCII digits.
func digits2(b []byte) (int, bool) {
	if len(b) != 2 || b[0] < '0' || b[0] > '9' || b[1] < '0' || b[1] > '9' {
		return 0, false
	}
	return int(b[0]-'0')*10 + int(b[1]-'0'), true
}

// digitsN parses a run of ASCII digits of exactly len(b) (1..9) digits.
func digitsN(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 9 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// parseMonth parses an English three-letter month abbreviation ("Nov").
func parseMonth(b []byte) (time.Month, bool) {
	if len(b) != 3 {
		return 0, false
	}
	switch string(b) {
	case "Jan":
		return time.January, true
	case "Feb":
		return time.February, true
	case "Mar":
		return time.March, true
	case "Apr":
		return time.April, true
	case "May":
		return time.May, true
	case "Jun":
		return time.June, true
	case "Jul":
		return time.July, true
	case "Aug":
		return time.August, true
	case "Sep":
		return time.September, true
	case "Oct":
		return time.October, true
	case "Nov":
		return time.November, true
	case "Dec":
		return time.December, true
	}
	return 0, false
}

// daysIn is the number of days of month m in year y.
func daysIn(m time.Month, y int) int {
	switch m {
	case time.February:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

// validClock checks hour, minute and second; a leap second (60) is let
// through and lands on the next minute.
func validClock(h, m, s int) bool {
	return h >= 0 && h <= 23 && m >= 0 && m <= 59 && s >= 0 && s <= 60
}

// parseCLFTime parses the Common Log Format time stamp written by Apache's
// %t and Squid's %tl, without the brackets:
//
//	21/Nov/2026:13:45:12 +0100
//
// The offset in the line gives the instant; the result is in UTC.
func parseCLFTime(b []byte) (time.Time, bool) {
	if len(b) != 26 || b[2] != '/' || b[6] != '/' || b[11] != ':' || b[14] != ':' || b[17] != ':' || b[20] != ' ' {
		return time.Time{}, false
	}
	day, ok1 := digits2(b[0:2])
	mon, ok2 := parseMonth(b[3:6])
	year, ok3 := digitsN(b[7:11])
	h, ok4 := digits2(b[12:14])
	mi, ok5 := digits2(b[15:17])
	s, ok6 := digits2(b[18:20])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || day < 1 || day > daysIn(mon, year) || !validClock(h, mi, s) {
		return time.Time{}, false
	}
	off, ok := parseOffset(b[21:])
	if !ok {
		return time.Time{}, false
	}
	return time.Date(year, mon, day, h, mi, s, 0, time.UTC).Add(-off), true
}

// parseOffset parses a numeric zone offset: "+0100", "-05:30" or "Z".
func parseOffset(b []byte) (time.Duration, bool) {
	if len(b) == 1 && b[0] == 'Z' {
		return 0, true
	}
	if len(b) != 5 && len(b) != 6 {
		return 0, false
	}
	var sign time.Duration
	switch b[0] {
	case '+':
		sign = 1
	case '-':
		sign = -1
	default:
		return 0, false
	}
	hh, ok := digits2(b[1:3])
	mmb := b[3:]
	if len(b) == 6 {
		if b[3] != ':' {
			return 0, false
		}
		mmb = b[4:]
	}
	mm, ok2 := digits2(mmb)
	if !ok || !ok2 || hh > 23 || mm > 59 {
		return 0, false
	}
	return sign * (time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute), true
}

// parseRFC3339 parses the RFC 3339 time stamps that rsyslog and
// journald write ("2026-11-21T13:45:12.123456+01:00"; a fraction of up to
// nine digits is optional, the offset may be "Z", "+01:00" or "+0100").
// The result is in UTC.
func parseRFC3339(b []byte) (time.Time, bool) {
	if len(b) < 20 || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' {
		return time.Time{}, false
	}
	year, ok1 := digitsN(b[0:4])
	mo, ok2 := digits2(b[5:7])
	day, ok3 := digits2(b[8:10])
	h, ok4 := digits2(b[11:13])
	mi, ok5 := digits2(b[14:16])
	s, ok6 := digits2(b[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || mo < 1 || mo > 12 ||
		day < 1 || day > daysIn(time.Month(mo), year) || !validClock(h, mi, s) {
		return time.Time{}, false
	}
	rest := b[19:]
	nsec := 0
	if rest[0] == '.' {
		i := 1
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		n := i - 1
		if n == 0 || n > 9 {
			return time.Time{}, false
		}
		nsec, _ = digitsN(rest[1:i])
		for ; n < 9; n++ {
			nsec *= 10
		}
		rest = rest[i:]
	}
	off, ok := parseOffset(rest)
	if !ok {
		return time.Time{}, false
	}
	return time.Date(year, time.Month(mo), day, h, mi, s, nsec, time.UTC).Add(-off), true
}

// yearSlack is how far past the reference time a year-less syslog time
// stamp may lie before it is taken to belong to the year before.
const yearSlack = 24 * time.Hour

// syslogDate resolves a year-less syslog time stamp. The year is the
// reference time's year in loc, unless that puts the stamp more than a day
// after the reference: then it is the year before ("Dec 31" read on
// January 2nd is last December). A February 29 goes back to the last leap
// year that satisfies the rule. The result is in UTC.
func syslogDate(mon time.Month, day, h, mi, s, nsec int, ref time.Time, loc *time.Location) (time.Time, bool) {
	y := ref.In(loc).Year()
	limit := ref.Add(yearSlack)
	for range 9 { // February 29 skips at most eight years (2096 -> 2104)
		if day <= daysIn(mon, y) {
			t := time.Date(y, mon, day, h, mi, s, nsec, loc)
			if !t.After(limit) {
				return t.UTC(), true
			}
		}
		y--
	}
	return time.Time{}, false
}

// clfCache parses bracketed CLF time stamps and remembers the last one:
// consecutive lines mostly share their second.
type clfCache struct {
	raw [26]byte
	ok  bool
	t   time.Time
}

// parse reads "[21/Nov/2026:13:45:12 +0100]" at the start of b into *t
// and returns the rest of b.
func (c *clfCache) parse(b []byte, t *time.Time) ([]byte, bool) {
	if len(b) >= 29 && b[0] == '[' && b[22] == '-' && b[25] == '-' && b[28] == ']' {
		return squidNegativeOffset(b, t)
	}
	if len(b) < 28 || b[0] != '[' || b[27] != ']' {
		return nil, false
	}
	ts := b[1:27]
	if c.ok && sameStamp((*[26]byte)(ts), &c.raw) {
		*t = c.t
		return b[28:], true
	}
	v, ok := parseCLFTime(ts)
	if !ok {
		return nil, false
	}
	copy(c.raw[:], ts)
	c.ok, c.t, *t = true, v, v
	return b[28:], true
}

// squidNegativeOffset reads "[06/Dec/2026:15:29:34 -03-30]": Squid 5
// prints the minutes of a negative offset with a sign of their own
// (Newfoundland's -0330 comes out "-03-30"), and Squid wrote that line
// as much as any other. Rare enough to skip the cache.
func squidNegativeOffset(b []byte, t *time.Time) ([]byte, bool) {
	var ts [26]byte
	copy(ts[:24], b[1:25])
	copy(ts[24:], b[26:28])
	v, ok := parseCLFTime(ts[:])
	if !ok {
		return nil, false
	}
	*t = v
	return b[29:], true
}

// sameStamp compares two time stamps in four loads each, where a call to
// the general comparison would cost more than the comparing.
func sameStamp(a, b *[26]byte) bool {
	le := binary.LittleEndian
	return le.Uint64(a[0:8]) == le.Uint64(b[0:8]) && le.Uint64(a[8:16]) == le.Uint64(b[8:16]) &&
		le.Uint64(a[16:24]) == le.Uint64(b[16:24]) && le.Uint16(a[24:26]) == le.Uint16(b[24:26])
}
