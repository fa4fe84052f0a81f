package report

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net/netip"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"golang.org/x/sync/errgroup"

	"github.com/ispacct/ispacct/archive"
	"github.com/ispacct/ispacct/jobs/rollup"
)

// rawTable is one table's raw rows in the archive: its .asc file and its
// raw sheet, both written from one read of the rows in the archive's
// order, so the rows are sorted once and the two list them alike.
type rawTable struct {
	table       string // in the database
	asc, header string // the .asc file and its header line
	sheet       string // the raw sheet
	cols        []archive.Column
	// $1, $2: the period's first instant and the next period's. Columns
	// after cols are for the rollup a daily chain sums from the same read.
	query string
}

// The archive's row orders cover every column, so equal data always gives
// equal bytes; "C" collation keeps them independent of the server's locale.
const (
	proxyOrder = `ORDER BY zeit, ip_client, url COLLATE "C", status COLLATE "C", methode COLLATE "C", size, lan_name COLLATE "C"`
	httpOrder  = `ORDER BY zeit, ip, url COLLATE "C", datei COLLATE "C", size, htuser COLLATE "C"`
	mailOrder  = `ORDER BY zeit, msgid COLLATE "C", m_to COLLATE "C", m_from COLLATE "C", m_mailer COLLATE "C", m_size,
		m_remote_id COLLATE "C", m_relay COLLATE "C", m_status COLLATE "C"`
)

var rawTables = []rawTable{
	{"proxy", "proxy.asc", archive.ProxyHeader, "proxy", rawProxyCols, `SELECT lan_name, ip_client, url, zeit, size, status, methode
		FROM proxy WHERE zeit >= $1 AND zeit < $2 ` + proxyOrder},
	{"http", "http.asc", archive.HTTPHeader, "http", rawHTTPCols, `SELECT ip, url, zeit, size, datei, htuser, status
		FROM http WHERE zeit >= $1 AND zeit < $2 ` + httpOrder},
	{"mta", "mail.asc", archive.MailHeader, "mail", rawMailCols, `SELECT msgid, m_to, m_from, m_mailer, m_size, m_remote_id, m_relay, m_status, zeit, queue_id
		FROM mta WHERE zeit >= $1 AND zeit < $2 ` + mailOrder},
}

var (
	rawProxyCols = []archive.Column{{Title: "lan_name", Width: 16}, {Title: "ip_client", Width: 16}, {Title: "url", Width: 60},
		{Title: "zeit", Width: 20, Kind: archive.Time}, {Title: "size", Width: 12, Kind: archive.Count},
		{Title: "status", Width: 26}, {Title: "methode", Width: 10}}
	rawHTTPCols = []archive.Column{{Title: "ip", Width: 16}, {Title: "url", Width: 28}, {Title: "zeit", Width: 20, Kind: archive.Time},
		{Title: "size", Width: 12, Kind: archive.Count}, {Title: "datei", Width: 50}, {Title: "htuser", Width: 14}}
	rawMailCols = []archive.Column{{Title: "msgid", Width: 30}, {Title: "m_to", Width: 28}, {Title: "m_from", Width: 28},
		{Title: "m_mailer", Width: 10}, {Title: "m_size", Width: 12, Kind: archive.Count}, {Title: "m_remote_id", Width: 16},
		{Title: "m_relay", Width: 28}, {Title: "m_status", Width: 10}, {Title: "zeit", Width: 20, Kind: archive.Time}}
)

// rowBatch is a run of rows read and decoded, handed to the writers,
// which only read it. Text fields point into arena.
type rowBatch struct {
	fields []archive.Field // rows × columns
	arena  []byte
}

const (
	batchRows  = 2048
	batchQueue = 8 // batches a writer may lag behind the reader
)

// rawPass reads t's rows of period p once and writes them to asc (an .asc
// file, header included) and sheet, either of which may be nil, and sums
// them into fused when it is not nil. Reading and the two writers run side
// by side: the database sorts and sends while one core formats and
// compresses the .asc and the other the sheet. It returns the number of
// rows.
func rawPass(ctx context.Context, conn queryer, t rawTable, p Period, loc *time.Location, asc io.Writer, sheet *archive.RawSheet, fused *rollup.Fused) (int64, error) {
	g, ctx := errgroup.WithContext(ctx)
	var queues []chan *rowBatch
	nc := len(t.cols)
	if asc != nil {
		q := make(chan *rowBatch, batchQueue)
		queues = append(queues, q)
		g.Go(func() error {
			a, err := archive.NewASC(asc, loc, t.header)
			if err != nil {
				return err
			}
			for b := range q {
				for i := 0; i < len(b.fields); i += nc {
					if err := a.Row(b.fields[i : i+nc]); err != nil {
						return err
					}
				}
			}
			return a.Flush()
		})
	}
	if sheet != nil {
		q := make(chan *rowBatch, batchQueue)
		queues = append(queues, q)
		g.Go(func() error {
			for b := range q {
				for i := 0; i < len(b.fields); i += nc {
					if err := sheet.AddFields(b.fields[i : i+nc]); err != nil {
						return err
					}
				}
			}
			return nil
		})
	}
	var n int64
	g.Go(func() error {
		defer func() {
			for _, q := range queues {
				close(q)
			}
		}()
		rows, err := conn.Query(ctx, t.query, pgx.QueryResultFormats{pgx.BinaryFormatCode}, p.Start, p.End)
		if err != nil {
			return err
		}
		defer rows.Close()
		fds := rows.FieldDescriptions()
		if len(fds) < nc {
			return fmt.Errorf("%d columns for %d", len(fds), nc)
		}
		var sum func([][]byte) error
		if fused != nil {
			if sum, err = fused.Rows(fds); err != nil {
				return err
			}
		}
		b := newBatch(nc)
		send := func() error {
			for _, q := range queues {
				select {
				case q <- b:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			b = newBatch(nc)
			return nil
		}
		for rows.Next() {
			// The rollup takes the raw values as the row passes: on
			// a goroutine of its own, with the values copied for it,
			// the pass was slower.
			vals := rows.RawValues()
			if sum != nil {
				if err := sum(vals); err != nil {
					return err
				}
			}
			for i, v := range vals[:nc] {
				f, err := decodeField(fds[i].DataTypeOID, v, &b.arena)
				if err != nil {
					return fmt.Errorf("column %s: %w", fds[i].Name, err)
				}
				b.fields = append(b.fields, f)
			}
			n++
			if len(b.fields) == batchRows*nc {
				if err := send(); err != nil {
					return err
				}
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if len(b.fields) > 0 {
			return send()
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return n, fmt.Errorf("%s: %w", t.asc, err)
	}
	return n, nil
}

// queryer is a connection or a transaction.
type queryer interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func newBatch(cols int) *rowBatch {
	return &rowBatch{fields: make([]archive.Field, 0, batchRows*cols), arena: make([]byte, 0, 256<<10)}
}

// postgresEpoch is 2000-01-01 UTC, the zero of a binary timestamptz, in
// microseconds since the Unix epoch.
const postgresEpoch = 946684800 * 1000000

// decodeField decodes a value in PostgreSQL's binary format. Text is
// copied into arena: the row's bytes are the driver's only until the next
// row.
func decodeField(oid uint32, v []byte, arena *[]byte) (archive.Field, error) {
	if v == nil {
		return archive.Field{}, nil
	}
	switch oid {
	case pgtype.TextOID, pgtype.VarcharOID:
		*arena = append(*arena, v...)
		a := *arena
		return archive.Field{Kind: archive.TextField, B: a[len(a)-len(v) : len(a) : len(a)]}, nil
	case pgtype.Int8OID, pgtype.TimestamptzOID:
		if len(v) != 8 {
			return archive.Field{}, fmt.Errorf("%d bytes for an 8-byte value", len(v))
		}
		i := int64(binary.BigEndian.Uint64(v))
		if oid == pgtype.TimestamptzOID {
			return archive.Field{Kind: archive.TimeField, I: i + postgresEpoch}, nil
		}
		return archive.Field{Kind: archive.IntField, I: i}, nil
	case pgtype.Int4OID:
		if len(v) != 4 {
			return archive.Field{}, fmt.Errorf("%d bytes for a 4-byte value", len(v))
		}
		return archive.Field{Kind: archive.IntField, I: int64(int32(binary.BigEndian.Uint32(v)))}, nil
	case pgtype.InetOID:
		// family, bits, is_cidr, length, address
		if len(v) < 4 || len(v) != 4+int(v[3]) || (v[3] != 4 && v[3] != 16) {
			return archive.Field{}, fmt.Errorf("malformed inet of %d bytes", len(v))
		}
		a, _ := netip.AddrFromSlice(v[4:])
		if int(v[1]) > a.BitLen() {
			return archive.Field{}, fmt.Errorf("malformed inet /%d", v[1])
		}
		// Not a.Prefix: that masks the address, inet keeps the host bits.
		return archive.Field{Kind: archive.AddrField, A: netip.PrefixFrom(a, int(v[1]))}, nil
	}
	return archive.Field{}, fmt.Errorf("type %d is not read here", oid)
}
