package ingest

import (
	"fmt"
	"time"

	"github.com/ispacct/ispacct/parsers"
	"github.com/ispacct/ispacct/schema"
)

// A decoder turns lines of one format into COPY rows of one table. A line
// may give zero or more rows (a mail log line may give none, or one per
// recipient).
type decoder interface {
	table() string
	columns() []string
	// parse reads one line and returns how many rows it gives, or the
	// reason it is rejected.
	parse(line []byte) (int, error)
	// zeit is the time of the line's i-th row.
	zeit(i int) time.Time
	// encode writes the line's i-th row, with the file and line it came from.
	encode(i int, b *schema.CopyBuffer, file, line int64)
}

// newDecoder returns the decoder of a format.
func newDecoder(format string, lans *LANs) (decoder, error) {
	switch format {
	case "squid":
		return &proxyDecoder{lans: lans}, nil
	}
	return nil, fmt.Errorf("unknown format %q", format)
}

// proxyDecoder loads Squid's native format into proxy, assigning each
// client to its LAN.
type proxyDecoder struct {
	p    parsers.Squid
	rec  parsers.Proxy
	lans *LANs
}

var proxyColumns = []string{"lan_name", "ip_client", "url", "zeit", "size", "status", "methode",
	"elapsed_ms", "ident", "hierarchy", "mime", "src_file", "src_line"}

func (d *proxyDecoder) table() string      { return "proxy" }
func (d *proxyDecoder) columns() []string  { return proxyColumns }
func (d *proxyDecoder) zeit(int) time.Time { return d.rec.Zeit }
func (d *proxyDecoder) parse(line []byte) (int, error) {
	if err := d.p.Parse(line, &d.rec); err != nil {
		return 0, err
	}
	return 1, nil
}

func (d *proxyDecoder) encode(_ int, b *schema.CopyBuffer, file, line int64) {
	r := &d.rec
	b.Row(len(proxyColumns))
	if name, ok := d.lans.Lookup(r.Client); ok {
		b.String(name)
	} else {
		b.Null()
	}
	b.Inet(r.Client)
	b.Text(r.URL)
	b.Timestamptz(r.Zeit)
	b.Int64(r.Size)
	b.Text(r.Status)
	b.Text(r.Method)
	b.Int32(r.ElapsedMS)
	b.TextOrNull(r.Ident)
	b.Text(r.Hierarchy)
	b.TextOrNull(r.MIME)
	b.Int64(file)
	b.Int64(line)
}
