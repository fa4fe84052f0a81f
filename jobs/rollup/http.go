package rollup

import (
	"context"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/ispacct/ispacct/schema"
)

// The web server's aggregates are summed in Go from one pass over the
// day's rows, defined as the SQL that computed them before (kept as the
// reference in http_diff_test.go): per url (the vhost; NULL is a group of
// its own, which the NOT NULL column then refuses, as before), distinct
// client addresses without NULLs, errors for status 400 and above; per
// url and user for rows with a user.

var httpCols = []string{"url", "ip", "size", "status", "htuser"}

var httpVhostCols = []string{"day", "vhost", "requests", "bytes", "clients", "errors"}

var httpUserCols = []string{"day", "vhost", "htuser", "requests", "bytes"}

type httpVhost struct {
	name             []byte // nil: NULL
	requests, errors int64
	bytes            sum128
	clients          clientSet
	users            map[string]*httpUser
}

type httpUser struct {
	requests int64
	bytes    sum128
}

// httpAgg sums a day's web rows, by vhost.
type httpAgg struct{ *groups[httpVhost] }

func newHTTPAgg() httpAgg {
	return httpAgg{newGroups(func(name []byte) *httpVhost { return &httpVhost{name: name, users: map[string]*httpUser{}} })}
}

// row adds one row: url, ip, size, status, htuser.
func (a httpAgg) row(f [][]byte) error {
	size, err := bigint(f[2])
	if err != nil {
		return err
	}
	v := a.get(f[0])
	v.requests++
	v.bytes.add(size)
	if err := v.clients.add(f[1]); err != nil {
		return err
	}
	if st := f[3]; st != nil {
		if len(st) != 2 {
			return schema.ErrCopyFormat
		}
		if int16(binary.BigEndian.Uint16(st)) >= 400 {
			v.errors++
		}
	}
	if user := f[4]; user != nil {
		u := v.users[string(user)]
		if u == nil {
			u = &httpUser{}
			v.users[string(user)] = u
		}
		u.requests++
		u.bytes.add(size)
	}
	return nil
}

// write replaces agg_http_vhost and agg_http_user of the day with the
// sums.
func (a httpAgg) write(ctx context.Context, tx pgx.Tx, d dayRange) error {
	vhosts := a.sorted(func(v *httpVhost) []byte { return v.name })

	date := pgDate(d.day)
	var vhostBuf, userBuf schema.CopyBuffer
	vhostBuf.Reset()
	userBuf.Reset()
	// vhost is NOT NULL: a NULL url makes the COPY fail, as the INSERT did.
	name := func(b *schema.CopyBuffer, v *httpVhost) {
		if v.name == nil {
			b.Null()
		} else {
			b.Text(v.name)
		}
	}
	for _, v := range vhosts {
		total, err := v.bytes.int64()
		if err != nil {
			return fmt.Errorf("agg_http_vhost of %s: %w", nameText(v.name), err)
		}
		vhostBuf.Row(len(httpVhostCols))
		vhostBuf.Int32(date) // a date is its day number, as an int32
		name(&vhostBuf, v)
		vhostBuf.Int64(v.requests)
		vhostBuf.Int64(total)
		vhostBuf.Int64(v.clients.len())
		vhostBuf.Int64(v.errors)

		users := make([]string, 0, len(v.users))
		for u := range v.users {
			users = append(users, u)
		}
		slices.Sort(users)
		for _, user := range users {
			u := v.users[user]
			b, err := u.bytes.int64()
			if err != nil {
				return fmt.Errorf("agg_http_user of %s, %q: %w", nameText(v.name), user, err)
			}
			userBuf.Row(len(httpUserCols))
			userBuf.Int32(date)
			name(&userBuf, v)
			userBuf.String(user)
			userBuf.Int64(u.requests)
			userBuf.Int64(b)
		}
	}
	return replaceDay(ctx, tx, d, []aggTable{
		{"agg_http_vhost", httpVhostCols, vhostBuf.Finish()},
		{"agg_http_user", httpUserCols, userBuf.Finish()},
	})
}
