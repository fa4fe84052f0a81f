package parsers

import (
	"bytes"
	"strings"
	"testing"
)

func TestDetect(t *testing.T) {
	tests := []struct {
		name   string
		files  []string // read whole, their lines in turn
		lines  string   // or these lines
		format string
		ok     bool
	}{
		{name: "squid native", files: []string{"squid/access.log"}, format: "squid", ok: true},
		{name: "squid common", files: []string{"squid-common/access.log"}, format: "squid-common", ok: true},
		{name: "squid combined", files: []string{"squid-combined/access.log"}, format: "squid-combined", ok: true},
		{name: "squid 5.7 native", files: []string{"squid-real/native.log"}, format: "squid", ok: true},
		{name: "squid 5.7 common", files: []string{"squid-real/common.log"}, format: "squid-common", ok: true},
		{name: "squid 5.7 combined", files: []string{"squid-real/combined.log"}, format: "squid-combined", ok: true},
		{name: "apache common", files: []string{"apache/common.log"}, format: "apache-common", ok: true},
		{name: "apache combined", files: []string{"apache/combined.log"}, format: "apache-combined", ok: true},
		{name: "apache vhost_combined", files: []string{"apache/vhost_combined.log"}, format: "apache-vhost", ok: true},
		{name: "apache 2.4 common", files: []string{"apache-real/common.log"}, format: "apache-common", ok: true},
		{name: "apache 2.4 combined", files: []string{"apache-real/combined-hostnames.log"}, format: "apache-combined", ok: true},
		{name: "apache 2.4 vhost_combined", files: []string{"apache-real/vhost_combined-hostnames.log"}, format: "apache-vhost", ok: true},
		{name: "squid 5.7 combined, log_mime_hdrs", files: []string{"squid-real/combined-mime.log"}, format: "squid-combined", ok: true},
		{name: "postfix", files: []string{"postfix/mail.log"}, format: "postfix", ok: true},
		{name: "postfix, rfc 3339", files: []string{"postfix/mail-rfc3339.log"}, format: "postfix", ok: true},
		{name: "sendmail", files: []string{"sendmail/maillog"}, format: "sendmail", ok: true},
		{name: "postfix with another syslog_name", lines: "Nov 21 08:00:01 mx mx1/smtpd[1]: 1A2B3C4D5E: client=a[192.0.2.1]\n",
			format: "postfix", ok: true},
		{name: "sendmail under syslogd -v", lines: "Jun 17 14:37:39 <mail.info> robin sm-mta[2794]: x\n", format: "sendmail", ok: true},
		{name: "squid common, mostly", lines: `10.4.24.77 - - [21/Nov/2026:13:45:12 +0100] "GET http://example.com/ HTTP/1.1" 200 5120 TCP_MISS:HIER_DIRECT
10.4.24.77 - - [21/Nov/2026:13:45:12 +0100] "GET http://example.com/ HTTP/1.1" 200 5120 TCP_MISS:HIER_DIRECT
garbage
`, format: "squid-common", ok: true},
		{name: "a third apache, two thirds garbage", lines: "x\ny\n" + `10.4.24.77 - - [21/Nov/2026:13:45:12 +0100] "GET / HTTP/1.1" 200 5120` + "\n",
			format: "apache-common", ok: false},
		{name: "apache combined, a colon in every referer", lines: `192.0.2.23 - - [23/Mar/2018:12:31:01 +0000] "GET /api/config HTTP/1.1" 200 28 "https://service.example.com/" "libcurl"
192.0.2.23 - - [23/Mar/2018:12:31:02 +0000] "GET /api/pools HTTP/1.1" 200 925 "https://service.example.com/" "libcurl"
`, format: "apache-combined", ok: true},
		{name: "garbage", lines: "hello\nworld\n", format: "", ok: false},
		{name: "blank", lines: "\n \n", format: "", ok: false},
		{name: "nothing", format: "", ok: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var lines [][]byte
			for _, f := range tt.files {
				eachLine(t, "../fixtures/"+f, func(_ int64, line []byte) { lines = append(lines, bytes.Clone(line)) })
			}
			for l := range strings.Lines(tt.lines) {
				lines = append(lines, []byte(strings.TrimSuffix(l, "\n")))
			}
			d, ok := Detect(lines)
			if d.Format != tt.format || ok != tt.ok {
				t.Errorf("Detect = %+v, %t; want %q, %t", d, ok, tt.format, tt.ok)
			}
			if d.Read > d.Lines {
				t.Errorf("read %d of %d lines", d.Read, d.Lines)
			}
		})
	}
}
