package ingest

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/ispacct/ispacct/archive"
	"github.com/ispacct/ispacct/parsers"
	"github.com/ispacct/ispacct/schema"
)

// A decoder turns lines of one format into COPY rows of one table. A line
// may give zero or more rows (a mail log line usually none, the line that
// completes a delivery one per recipient).
type decoder interface {
	table() string
	columns() []string
	// startFile tells the decoder which file the next lines come from.
	startFile(mtime time.Time)
	// parse reads one line and returns how many rows it gives, or the
	// reason it is rejected.
	parse(line []byte) (int, error)
	// zeit is the time of the line's i-th row.
	zeit(i int) time.Time
	// encode writes the line's i-th row, with the file and line it came from.
	encode(i int, b *schema.CopyBuffer, file, line int64)
	// asc writes the line's i-th row as its table's .asc file has it.
	asc(i int, w *archive.ASC) error
	// state is what must be kept for the next run (nil if nothing), taken
	// after the last line given to parse.
	state() ([]byte, error)
}

// maxSize bounds the bytes of one request or message. More is a garbled
// field, not traffic; and a few such rows in a day would overflow the
// day's sums (bigint) and stop its rollup, night after night.
const maxSize = 1 << 40

var errHugeSize = errors.New("size above 1 TiB")

// newDecoder returns the decoder of a format. state is what the source's
// last run left (mail logs), or nil.
func newDecoder(format, vhost string, lans *LANs, loc *time.Location, state []byte) (decoder, error) {
	f, ok := parsers.LookupFormat(format)
	if !ok {
		return nil, fmt.Errorf("unknown format %q", format)
	}
	switch f.Table {
	case parsers.TableProxy:
		return &proxyDecoder{p: f.NewProxy(), lans: lans}, nil
	case parsers.TableHTTP:
		return &httpDecoder{p: f.NewHTTP(vhost)}, nil
	case parsers.TableMTA:
		o := parsers.MailOptions{Location: loc}
		if state != nil {
			if err := json.Unmarshal(state, &o.State); err != nil {
				return nil, fmt.Errorf("mail state of the last run: %w", err)
			}
		}
		return &mailDecoder{log: f.NewMail(o)}, nil
	}
	return nil, fmt.Errorf("format %q: no table", format)
}

// proxyDecoder loads Squid logs into proxy, assigning each client to its
// LAN.
type proxyDecoder struct {
	p    parsers.ProxyParser
	rec  parsers.Proxy
	lans *LANs
}

var proxyColumns = []string{"lan_name", "ip_client", "url", "zeit", "size", "status", "methode",
	"elapsed_ms", "ident", "hierarchy", "mime", "src_file", "src_line"}

func (d *proxyDecoder) table() string          { return "proxy" }
func (d *proxyDecoder) columns() []string      { return proxyColumns }
func (d *proxyDecoder) startFile(time.Time)    {}
func (d *proxyDecoder) zeit(int) time.Time     { return d.rec.Zeit }
func (d *proxyDecoder) state() ([]byte, error) { return nil, nil }
func (d *proxyDecoder) parse(line []byte) (int, error) {
	if err := d.p.Parse(line, &d.rec); err != nil {
		return 0, blankIsNoRow(err)
	}
	if d.rec.Size > maxSize {
		return 0, errHugeSize
	}
	return 1, nil
}

// blankIsNoRow turns the parsers' ErrBlank into no error: a blank line
// gives no row and is no reject (ingest skips them before; 'ispacct
// parse' meets them here).
func blankIsNoRow(err error) error {
	if errors.Is(err, parsers.ErrBlank) {
		return nil
	}
	return err
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
	b.TextOrNull(r.URL)
	b.Timestamptz(r.Zeit)
	b.Int64(r.Size)
	b.TextOrNull(r.Status)
	b.TextOrNull(r.Method)
	b.Int32(r.ElapsedMS)
	b.TextOrNull(r.Ident)
	b.TextOrNull(r.Hierarchy)
	b.TextOrNull(r.MIME)
	b.Int64(file)
	b.Int64(line)
}

func (d *proxyDecoder) asc(_ int, w *archive.ASC) error {
	lan, _ := d.lans.Lookup(d.rec.Client)
	return w.Proxy(lan, &d.rec)
}

// httpDecoder loads Apache logs into http.
type httpDecoder struct {
	p   parsers.HTTPParser
	rec parsers.HTTP
}

var httpColumns = []string{"ip", "url", "zeit", "size", "datei", "htuser", "methode", "status", "referer", "user_agent", "client_host", "src_file", "src_line"}

func (d *httpDecoder) table() string          { return "http" }
func (d *httpDecoder) columns() []string      { return httpColumns }
func (d *httpDecoder) startFile(time.Time)    {}
func (d *httpDecoder) zeit(int) time.Time     { return d.rec.Zeit }
func (d *httpDecoder) state() ([]byte, error) { return nil, nil }
func (d *httpDecoder) parse(line []byte) (int, error) {
	if err := d.p.Parse(line, &d.rec); err != nil {
		return 0, blankIsNoRow(err)
	}
	if d.rec.Size > maxSize {
		return 0, errHugeSize
	}
	if len(d.rec.URL) == 0 {
		// The vhost is what http rows are accounted by (CheckSource
		// sees to it for files without one in their lines).
		return 0, errNoVHost
	}
	return 1, nil
}

var errNoVHost = errors.New("no virtual host")

func (d *httpDecoder) encode(_ int, b *schema.CopyBuffer, file, line int64) {
	r := &d.rec
	b.Row(len(httpColumns))
	b.Inet(r.IP) // NULL for a client logged by name: client_host has the name
	b.TextOrNull(r.URL)
	b.Timestamptz(r.Zeit)
	b.Int64(r.Size)
	b.TextOrNull(r.Datei)
	b.TextOrNull(r.HTUser)
	b.TextOrNull(r.Method)
	if r.Status > 0 {
		b.Int16(r.Status)
	} else {
		b.Null()
	}
	b.TextOrNull(r.Referer)
	b.TextOrNull(r.UserAgent)
	b.TextOrNull(r.Host)
	b.Int64(file)
	b.Int64(line)
}

func (d *httpDecoder) asc(_ int, w *archive.ASC) error { return w.HTTP(&d.rec) }

// mailDecoder assembles Postfix and Sendmail messages into mta rows, one
// per recipient delivery attempt.
type mailDecoder struct {
	log  *parsers.MailLog
	rows []parsers.Mail
}

var mailColumns = []string{"msgid", "m_to", "m_from", "m_mailer", "m_size", "m_remote_id", "m_relay", "m_status", "zeit",
	"queue_id", "dsn", "delay", "status_text", "orig_to", "src_file", "src_line"}

func (d *mailDecoder) table() string             { return "mta" }
func (d *mailDecoder) columns() []string         { return mailColumns }
func (d *mailDecoder) startFile(mtime time.Time) { d.log.SetReference(mtime) }
func (d *mailDecoder) zeit(i int) time.Time      { return d.rows[i].Zeit }
func (d *mailDecoder) state() ([]byte, error)    { return json.Marshal(d.log.State()) }
func (d *mailDecoder) parse(line []byte) (int, error) {
	rows, err := d.log.Parse(line)
	d.rows = rows
	for _, r := range rows {
		if r.Size > maxSize {
			d.rows = nil
			return 0, errHugeSize
		}
	}
	return len(rows), err
}

func (d *mailDecoder) encode(i int, b *schema.CopyBuffer, file, line int64) {
	r := &d.rows[i]
	b.Row(len(mailColumns))
	stringOrNull(b, r.Msgid)
	stringOrNull(b, r.To)
	stringOrNull(b, r.From)
	stringOrNull(b, r.Mailer)
	if r.Size > 0 {
		b.Int64(r.Size)
	} else {
		b.Null()
	}
	stringOrNull(b, r.RemoteID)
	stringOrNull(b, r.Relay)
	stringOrNull(b, r.Status)
	b.Timestamptz(r.Zeit)
	stringOrNull(b, r.QueueID)
	stringOrNull(b, r.DSN)
	b.Float32(float32(r.Delay.Seconds()))
	stringOrNull(b, r.StatusText)
	stringOrNull(b, r.OrigTo)
	b.Int64(file)
	b.Int64(line)
}

func (d *mailDecoder) asc(i int, w *archive.ASC) error { return w.Mail(&d.rows[i]) }

func stringOrNull(b *schema.CopyBuffer, s string) {
	if s == "" {
		b.Null()
		return
	}
	b.String(s)
}
