package parsers

import (
	"net/netip"
	"time"
)

// Proxy is one proxy request: a row of table proxy. Byte-slice fields
// point into the parser's line or scratch buffer and are valid until the
// next call to Parse; they always satisfy the package's text rule.
type Proxy struct {
	Zeit      time.Time  // when the request ended (UTC)
	ElapsedMS int32      // response time in milliseconds
	Client    netip.Addr // ip_client
	Status    []byte     // Squid result code and HTTP status, "TCP_MISS/200"
	Size      int64      // bytes sent to the client
	Method    []byte     // methode
	URL       []byte     // url; "host:port" for CONNECT
	Ident     []byte     // user name, empty for "-"; Squid's %hh escapes undone
	Hierarchy []byte     // hierarchy code and peer, "HIER_DIRECT/93.184.216.34"
	MIME      []byte     // content type, empty for "-"
}
