package mailtest

import (
	"fmt"
	"net"
	"net/textproto"
	"strings"
	"time"
)

// POP3Fetch logs in to a POP3 server as a dial-in mail client would, and
// retrieves every message (RFC 1939: USER, PASS, STAT, RETR, QUIT). With
// del it deletes them, as a client that does not leave mail on the
// server does.
func POP3Fetch(addr, user, pass string, del bool) ([][]byte, error) {
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	nc.SetDeadline(time.Now().Add(30 * time.Second))
	c := textproto.NewConn(nc)
	defer c.Close()
	ok := func() (string, error) {
		line, err := c.ReadLine()
		if err != nil {
			return "", err
		}
		if !strings.HasPrefix(line, "+OK") {
			return "", fmt.Errorf("pop3: %s", line)
		}
		return strings.TrimSpace(strings.TrimPrefix(line, "+OK")), nil
	}
	cmd := func(format string, args ...any) (string, error) {
		if err := c.PrintfLine(format, args...); err != nil {
			return "", err
		}
		return ok()
	}
	if _, err := ok(); err != nil { // greeting
		return nil, err
	}
	if _, err := cmd("USER %s", user); err != nil {
		return nil, err
	}
	if _, err := cmd("PASS %s", pass); err != nil {
		return nil, err
	}
	stat, err := cmd("STAT")
	if err != nil {
		return nil, err
	}
	var n, size int
	if _, err := fmt.Sscan(stat, &n, &size); err != nil {
		return nil, fmt.Errorf("pop3: STAT %q: %v", stat, err)
	}
	var msgs [][]byte
	for i := 1; i <= n; i++ {
		if _, err := cmd("RETR %d", i); err != nil {
			return nil, err
		}
		// The body is dot-stuffed and ends with a lone ".".
		b, err := c.ReadDotBytes()
		if err != nil {
			return nil, err
		}
		msgs = append(msgs, b)
		if del {
			if _, err := cmd("DELE %d", i); err != nil {
				return nil, err
			}
		}
	}
	_, err = cmd("QUIT")
	return msgs, err
}
