package mailtest

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// IMAPFetch logs in to an IMAP server as a dial-in mail client would and
// returns every message of INBOX, whole (RFC 9051: LOGIN, SELECT, FETCH
// BODY.PEEK[], LOGOUT), leaving them unread on the server.
func IMAPFetch(addr, user, pass string) ([][]byte, error) {
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReader(nc)
	line := func() (string, error) {
		s, err := r.ReadString('\n')
		return strings.TrimRight(s, "\r\n"), err
	}
	if g, err := line(); err != nil || !strings.HasPrefix(g, "* OK") {
		return nil, fmt.Errorf("imap greeting %q: %v", g, err)
	}
	n := 0
	// cmd sends a tagged command and reads up to its tagged answer; each
	// literal ({size} at a line's end) in between is read whole.
	cmd := func(format string, args ...any) ([]string, [][]byte, error) {
		n++
		tag := fmt.Sprintf("a%d", n)
		if _, err := fmt.Fprintf(nc, tag+" "+format+"\r\n", args...); err != nil {
			return nil, nil, err
		}
		var lines []string
		var literals [][]byte
		for {
			l, err := line()
			if err != nil {
				return nil, nil, fmt.Errorf("imap %s: %w", tag, err)
			}
			if rest, ok := strings.CutPrefix(l, tag+" "); ok {
				if !strings.HasPrefix(rest, "OK") {
					return nil, nil, fmt.Errorf("imap: %s", l)
				}
				return lines, literals, nil
			}
			lines = append(lines, l)
			if i := strings.LastIndexByte(l, '{'); i >= 0 && strings.HasSuffix(l, "}") {
				size, err := strconv.Atoi(l[i+1 : len(l)-1])
				if err != nil {
					return nil, nil, fmt.Errorf("imap literal %q: %v", l, err)
				}
				b := make([]byte, size)
				if _, err := io.ReadFull(r, b); err != nil {
					return nil, nil, err
				}
				literals = append(literals, b)
			}
		}
	}
	if _, _, err := cmd("LOGIN %q %q", user, pass); err != nil {
		return nil, err
	}
	selected, _, err := cmd("SELECT INBOX")
	if err != nil {
		return nil, err
	}
	var msgs [][]byte
	for _, l := range selected {
		var exists int
		if _, err := fmt.Sscanf(l, "* %d EXISTS", &exists); err == nil && exists > 0 {
			if _, msgs, err = cmd("FETCH 1:* (BODY.PEEK[])"); err != nil {
				return nil, err
			}
		}
	}
	_, _, err = cmd("LOGOUT")
	return msgs, err
}
