package parsers

import (
	"net/netip"
	"time"
)

// HTTP is one request to the web server: a row of table http. Byte-slice
// fields point into the parser's line or scratch buffer and are valid
// until the next call to Parse; they always satisfy the package's text
// rule.
type HTTP struct {
	Zeit      time.Time  // when the request was received (UTC)
	IP        netip.Addr // ip: the client; the zero Addr when the log names it (Host)
	Host      []byte     // the client's host name where the log has one instead of an address (HostnameLookups On)
	URL       []byte     // url: the virtual host asked for; empty if the log does not say
	Port      uint16     // the server port, 0 if the log does not say
	Datei     []byte     // datei: the request target, path and query ("/a/b?x=1")
	HTUser    []byte     // htuser: the authenticated user, empty for "-"
	Method    []byte     // "GET"; empty for a malformed request line
	Protocol  []byte     // "HTTP/1.1", "HTTP/2.0"; empty if not given
	Status    int16      // final status sent
	Size      int64      // bytes sent; "-" is 0
	Referer   []byte     // combined formats only, empty for "-"
	UserAgent []byte     // combined formats only, empty for "-"
}
