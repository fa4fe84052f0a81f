package rollup

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/ispacct/ispacct/schema"
)

// The mail aggregates of a day the daily chain's archive reads anyway are
// summed in Go from that read (see Fused); Day runs sql/mail.sql. Both
// give the rows of the reference (testdata/mail_before.sql):
//
//   - a message is coalesce(queue_id, '') || '/' || coalesce(msgid, '');
//     recipient and sender are lowered as the database's lower() does, a
//     missing or empty sender is '<>', a missing size 0;
//   - a row is mail in for its recipient's mailbox when the recipient's
//     domain (split_part(addr, '@', 2)) is a local domain, or, with none
//     configured, when its transport is a local one; mail out for its
//     sender's mailbox when the sender's domain is local, or, with none,
//     when its transport is not a local one (or unknown);
//   - a mailbox's or domain's messages are its distinct messages, its bytes
//     the sum of each message's largest size among its rows there, its
//     recipients the distinct (message, recipient) pairs, and sent …
//     expired count its rows of that status.
//
// The archive reads the rows by time, not by message: each row is kept
// as a few numbers until the end, which sorts them by message. A day of
// more rows than maxMailRecs is left to sql/mail.sql, in the same
// transaction, so memory stays bounded.

// mailCols are the columns a mail summer takes.
var mailCols = []string{"queue_id", "msgid", "m_to", "m_from", "m_size", "m_status", "m_mailer"}

// The aggregate tables' columns, as their rows are written.
var (
	mailMailboxCols = []string{"day", "direction", "mailbox", "domain", "messages", "recipients", "bytes",
		"sent", "deferred", "bounced", "expired"}
	mailDomainCols = []string{"day", "direction", "domain", "messages", "recipients", "bytes",
		"sent", "deferred", "bounced", "expired"}
)

// maxMailRecs bounds the rows held: 32 bytes each, and a message's name
// in a map for about every second row. Measured peaks of the whole chain:
// 90 MiB without, 143 MiB with 330,000 rows held, 187 MiB with 478,000;
// past the bound (and with SQL) 131 MiB.
var maxMailRecs = 400_000

// isLocalTransport: the transport delivers into a mailbox of the box
// itself.
func isLocalTransport(t []byte) bool {
	switch string(t) {
	case "local", "virtual", "lmtp", "dovecot", "maildrop", "procmail", "cyrus":
		return true
	}
	return false
}

// Row statuses that are counted.
const (
	stOther uint8 = iota
	stSent
	stDeferred
	stBounced
	stExpired
)

// Transports: unknown (NULL), local, other.
const (
	mailerNull uint8 = iota
	mailerLocal
	mailerOther
)

// mailRec is one row, by number: its message and its raw addresses are
// indexes into the summer's names.
type mailRec struct {
	msg          uint32
	rcpt, sender uint32 // raw; lowered ids after lower
	size         int64
	status       uint8
	mailer       uint8
}

// mailSum is one mailbox's or domain's day in one direction.
type mailSum struct {
	messages, recipients int64
	bytes                sum128
	count                [5]int64 // by status; stOther unused
}

type mailSummer struct {
	msgs  names // messages; their names are not kept
	addrs names // raw addresses
	recs  []mailRec
	over  bool // more rows than maxMailRecs: sql/mail.sql sums the day
	key   []byte
}

func newMailSummer() summer {
	return &mailSummer{msgs: names{ids: map[string]uint32{}}, addrs: names{ids: map[string]uint32{}, keep: true}}
}

// names numbers names from 0 as they first come.
type names struct {
	ids  map[string]uint32
	keep bool     // list the names
	list []string // by number, when kept
}

func (n *names) id(name []byte) uint32 {
	if id, ok := n.ids[string(name)]; ok {
		return id
	}
	id := uint32(len(n.ids))
	n.ids[string(name)] = id
	if n.keep {
		n.list = append(n.list, string(name))
	}
	return id
}

// row adds one row: queue_id, msgid, m_to, m_from, m_size, m_status,
// m_mailer.
func (m *mailSummer) row(f [][]byte) error {
	if m.over {
		return nil
	}
	if len(m.recs) == maxMailRecs {
		m.over = true
		m.recs, m.msgs, m.addrs = nil, names{}, names{}
		return nil
	}
	var size int64
	if f[4] != nil {
		var err error
		if size, err = bigint(f[4]); err != nil {
			return err
		}
	}
	m.key = append(append(append(m.key[:0], f[0]...), '/'), f[1]...)
	r := mailRec{msg: m.msgs.id(m.key), rcpt: m.addrs.id(f[2]), size: size}
	switch string(f[5]) {
	case "sent":
		r.status = stSent
	case "deferred":
		r.status = stDeferred
	case "bounced":
		r.status = stBounced
	case "expired":
		r.status = stExpired
	}
	if len(f[3]) == 0 {
		r.sender = m.addrs.id([]byte("<>"))
	} else {
		r.sender = m.addrs.id(f[3])
	}
	switch {
	case f[6] == nil:
		r.mailer = mailerNull
	case isLocalTransport(f[6]):
		r.mailer = mailerLocal
	default:
		r.mailer = mailerOther
	}
	m.recs = append(m.recs, r)
	return nil
}

// write replaces agg_mail_mailbox and agg_mail_domain of the day.
func (m *mailSummer) write(ctx context.Context, tx pgx.Tx, d dayRange) error {
	if m.over {
		return runFile(ctx, tx, "sql/mail.sql", d)
	}
	// Lowered addresses and their domains, numbered; whether each is local.
	lowered, err := lowerAll(ctx, tx, d.lowerInGo, m.addrs.list)
	if err != nil {
		return err
	}
	low := names{ids: map[string]uint32{}, keep: true}
	raw := make([]uint32, len(m.addrs.list)) // raw id → lowered id
	for i, a := range m.addrs.list {
		raw[i] = low.id([]byte(lowered[a]))
	}
	doms := names{ids: map[string]uint32{}, keep: true}
	dom := make([]uint32, len(low.list)) // lowered id → domain id
	local := make([]bool, len(low.list))
	for i, l := range low.list {
		name := domainOf([]byte(l))
		dom[i] = doms.id(name)
		local[i] = slices.Contains(d.domains, string(name))
	}
	var in, out []mailRec
	for _, r := range byMessage(m.recs, len(m.msgs.ids)) {
		r.rcpt, r.sender = raw[r.rcpt], raw[r.sender]
		if len(d.domains) > 0 && local[r.rcpt] || len(d.domains) == 0 && r.mailer == mailerLocal {
			in = append(in, r)
		}
		if len(d.domains) > 0 && local[r.sender] || len(d.domains) == 0 && r.mailer != mailerLocal {
			out = append(out, r)
		}
	}
	m.recs, m.msgs = nil, names{}

	inBox, inDom := make([]mailSum, len(low.list)), make([]mailSum, len(doms.list))
	// Mail in: by message, domain and mailbox (the recipient).
	sortWithin(in, func(a, b mailRec) int {
		return cmp.Or(cmp.Compare(dom[a.rcpt], dom[b.rcpt]), cmp.Compare(a.rcpt, b.rcpt))
	})
	for i := 0; i < len(in); {
		j := runEnd(in, i, func(r mailRec) [2]uint32 { return [2]uint32{r.msg, dom[r.rcpt]} })
		ds := &inDom[dom[in[i].rcpt]]
		ds.add(in[i:j])
		for k := i; k < j; {
			l := runEnd(in, k, func(r mailRec) [2]uint32 { return [2]uint32{r.msg, r.rcpt} })
			bs := &inBox[in[k].rcpt]
			bs.add(in[k:l])
			bs.recipients++
			ds.recipients++
			k = l
		}
		i = j
	}
	// Mail out: by message, domain, mailbox (the sender) and recipient;
	// a domain's recipients by message, domain and recipient.
	outBox, outDom := make([]mailSum, len(low.list)), make([]mailSum, len(doms.list))
	sortWithin(out, func(a, b mailRec) int {
		return cmp.Or(cmp.Compare(dom[a.sender], dom[b.sender]), cmp.Compare(a.sender, b.sender), cmp.Compare(a.rcpt, b.rcpt))
	})
	var rcpts []uint32
	for i := 0; i < len(out); {
		j := runEnd(out, i, func(r mailRec) [2]uint32 { return [2]uint32{r.msg, dom[r.sender]} })
		ds := &outDom[dom[out[i].sender]]
		ds.add(out[i:j])
		rcpts = rcpts[:0]
		for k := i; k < j; {
			l := runEnd(out, k, func(r mailRec) [2]uint32 { return [2]uint32{r.msg, r.sender} })
			bs := &outBox[out[k].sender]
			bs.add(out[k:l])
			for x := k; x < l; x++ {
				if x == k || out[x].rcpt != out[x-1].rcpt {
					bs.recipients++
					rcpts = append(rcpts, out[x].rcpt)
				}
			}
			k = l
		}
		slices.Sort(rcpts)
		ds.recipients += int64(len(slices.Compact(rcpts)))
		i = j
	}

	date := pgDate(d.day)
	var boxBuf, domBuf schema.CopyBuffer
	boxBuf.Reset()
	domBuf.Reset()
	for _, dir := range []struct {
		name     string
		box, dom []mailSum
	}{{"in", inBox, inDom}, {"out", outBox, outDom}} {
		if err := writeMailSums(&boxBuf, date, dir.name, low.list, dir.box, true); err != nil {
			return err
		}
		if err := writeMailSums(&domBuf, date, dir.name, doms.list, dir.dom, false); err != nil {
			return err
		}
	}
	return replaceDay(ctx, tx, d, []aggTable{
		{"agg_mail_mailbox", mailMailboxCols, boxBuf.Finish()},
		{"agg_mail_domain", mailDomainCols, domBuf.Finish()},
	})
}

// byMessage orders recs by message, in one pass: message ids are 0 to
// n-1.
func byMessage(recs []mailRec, n int) []mailRec {
	at := make([]int, n+1)
	for _, r := range recs {
		at[r.msg+1]++
	}
	for i := 1; i <= n; i++ {
		at[i] += at[i-1]
	}
	out := make([]mailRec, len(recs))
	for _, r := range recs {
		out[at[r.msg]] = r
		at[r.msg]++
	}
	return out
}

// sortWithin sorts each message's run of recs (in message order) by cmp.
func sortWithin(recs []mailRec, cmp func(a, b mailRec) int) {
	for i := 0; i < len(recs); {
		j := i + 1
		for j < len(recs) && recs[j].msg == recs[i].msg {
			j++
		}
		if j-i > 1 {
			slices.SortFunc(recs[i:j], cmp)
		}
		i = j
	}
}

// runEnd is the end of the run of recs from i with the same key.
func runEnd(recs []mailRec, i int, key func(mailRec) [2]uint32) int {
	k := key(recs[i])
	j := i + 1
	for j < len(recs) && key(recs[j]) == k {
		j++
	}
	return j
}

// add counts one message's rows of a mailbox or domain.
func (s *mailSum) add(recs []mailRec) {
	s.messages++
	size := recs[0].size
	for _, r := range recs {
		size = max(size, r.size)
		s.count[r.status]++
	}
	s.bytes.add(size)
}

// writeMailSums adds a COPY row for each name with messages, in name
// order; a mailbox's row has its domain too.
func writeMailSums(buf *schema.CopyBuffer, date int32, direction string, names []string, sums []mailSum, mailbox bool) error {
	ids := make([]int, 0, len(names))
	for i := range names {
		if sums[i].messages > 0 {
			ids = append(ids, i)
		}
	}
	slices.SortFunc(ids, func(a, b int) int { return cmp.Compare(names[a], names[b]) })
	for _, i := range ids {
		s := &sums[i]
		total, err := s.bytes.int64()
		if err != nil {
			return fmt.Errorf("mail %s of %q: %w", direction, names[i], err)
		}
		if mailbox {
			buf.Row(len(mailMailboxCols))
		} else {
			buf.Row(len(mailDomainCols))
		}
		buf.Int32(date)
		buf.String(direction)
		buf.String(names[i])
		if mailbox {
			buf.Text(domainOf([]byte(names[i])))
		}
		for _, v := range []int64{s.messages, s.recipients, total, s.count[stSent], s.count[stDeferred], s.count[stBounced], s.count[stExpired]} {
			buf.Int64(v)
		}
	}
	return nil
}

// domainOf is split_part(addr, '@', 2): what follows the first '@', up to
// the next.
func domainOf(addr []byte) []byte {
	_, after, ok := bytes.Cut(addr, []byte("@"))
	if !ok {
		return nil
	}
	d, _, _ := bytes.Cut(after, []byte("@"))
	return d
}
