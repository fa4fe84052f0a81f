package ingest

import (
	"time"

	"github.com/ispacct/ispacct/archive"
)

// Decoder reads lines of one format exactly as ingest does and writes each
// row in the layout of its table's .asc file: what 'ispacct parse' prints,
// so a dry look at a log can never disagree with what ingest would load.
type Decoder struct {
	d      decoder
	header string
}

// NewDecoder returns the decoder of a format; lans assigns proxy clients
// to their LAN (an empty LANs leaves lan_name empty).
func NewDecoder(format, vhost string, lans *LANs, loc *time.Location) (*Decoder, error) {
	d, err := newDecoder(format, vhost, lans, loc, nil)
	if err != nil {
		return nil, err
	}
	header := map[string]string{"proxy": archive.ProxyHeader, "http": archive.HTTPHeader, "mta": archive.MailHeader}[d.table()]
	return &Decoder{d: d, header: header}, nil
}

// Header is the .asc header line of the format's table.
func (d *Decoder) Header() string { return d.header }

// StartFile tells the decoder the modification time of the file the next
// lines come from (syslog time stamps have no year).
func (d *Decoder) StartFile(mtime time.Time) { d.d.startFile(mtime) }

// Parse reads one line and returns how many rows it gives, or the reason
// it is rejected.
func (d *Decoder) Parse(line []byte) (int, error) { return d.d.parse(line) }

// WriteASC writes the last line's i-th row to w.
func (d *Decoder) WriteASC(w *archive.ASC, i int) error { return d.d.asc(i, w) }
