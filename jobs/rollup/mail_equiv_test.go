package rollup_test

import (
	"context"
	_ "embed"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ispacct/ispacct/jobs/rollup"
	"github.com/ispacct/ispacct/schema"
	"github.com/ispacct/ispacct/schema/pgtest"
)

// mailReferenceSQL is the mail rollup as first written, plain and slow:
// sql/mail.sql must give exactly its rows.
//
//go:embed testdata/mail_before.sql
var mailReferenceSQL string

// mailRow is one mta row; nil pointers are NULL.
type mailRow struct {
	qid, msgid, to, from, mailer, status *string
	size                                 *int64
	zeit                                 time.Time
}

// mailDays are the days the adversarial rows fall on: an ordinary day and
// the 25-hour day the clocks go back.
var mailDays = []time.Time{
	time.Date(2026, 10, 24, 0, 0, 0, 0, pgtest.Berlin),
	time.Date(2026, 10, 25, 0, 0, 0, 0, pgtest.Berlin),
}

// pick returns one of the choices; "NULL" stands for NULL.
func pick(r *rand.Rand, choices ...string) *string {
	c := choices[r.IntN(len(choices))]
	if c == "NULL" {
		return nil
	}
	return &c
}

// adversarialMail builds messages meant to find any difference between
// two ways of counting: several recipients, the same recipient in another
// case, deferred then sent, bounced, expired, unknown statuses, NULL and
// empty queue ids, Message-IDs, senders, recipients, sizes and mailers,
// queue ids with '/' (whose "queue id/msgid" key collides with another
// message's), addresses without '@' or with two, non-ASCII, a message
// with several senders of one domain sharing recipients, rows exactly on
// the day's edges.
func adversarialMail(seed uint64, messages int) []mailRow {
	r := rand.New(rand.NewPCG(seed, 11))
	local := []string{"anna@example.com", "Anna@Example.COM", "bob@example.com", "BOB@EXAMPLE.COM", "carol@other.example",
		"dave@other.example", "jörg@müller.example", "JÖRG@MÜLLER.example", "ÅSA@EXAMPLE.COM", "postmaster", "",
		"@example.com", "x@", "a@b@example.com", "eve@sub.example.com"}
	remote := []string{"x@outside.org", "X@Outside.ORG", "y@outside.org", "z@far.example", "weird@@outside.org",
		"no-at-sign", " spaced@outside.org ", "<>", "MAILER-DAEMON"}
	addr := func() *string {
		switch n := r.IntN(20); {
		case n == 0:
			return nil
		case n < 10:
			return &local[r.IntN(len(local))]
		default:
			return &remote[r.IntN(len(remote))]
		}
	}
	mailers := []string{"local", "virtual", "lmtp", "dovecot", "maildrop", "procmail", "cyrus", "smtp", "relay",
		"error", "NULL", "LOCAL", "Virtual", ""}
	statuses := []string{"sent", "deferred", "bounced", "expired", "NULL", "SENT", "softbounce", ""}
	var rows []mailRow
	for m := 0; m < messages; m++ {
		day := mailDays[r.IntN(len(mailDays))]
		span := schema.NextDay(day).Sub(day)
		at := func() time.Time {
			switch r.IntN(40) {
			case 0:
				return day // the first instant is the day's
			case 1:
				return schema.NextDay(day).Add(-time.Microsecond)
			case 2:
				return schema.NextDay(day) // the next day's
			}
			return day.Add(time.Duration(r.Int64N(int64(span))))
		}
		qid := pick(r, fmt.Sprintf("Q%d", m), fmt.Sprintf("Q%d", m), fmt.Sprintf("Q%d", m), fmt.Sprintf("Q%d", m%50),
			"A1", "A1/x", "A1/", "", "NULL")
		msgid := pick(r, fmt.Sprintf("<m%d@x>", m), fmt.Sprintf("<m%d@x>", m), fmt.Sprintf("<m%d@x>", m%40),
			"x/<m1@x>", "<m1@x>", "", "NULL", "/")
		senders := []*string{addr()}
		if r.IntN(4) == 0 { // a second sender, often of the first's domain
			senders = append(senders, pick(r, "anna@example.com", "bob@example.com", "Bob@example.com", "carol@other.example", "", "NULL"))
		}
		var size *int64
		if r.IntN(10) > 0 {
			s := r.Int64N(1 << 40)
			if r.IntN(30) == 0 {
				s = -s
			}
			size = &s
		}
		rcpts := 1 + r.IntN(5)
		for k := 0; k < rcpts; k++ {
			to := addr()
			if k > 0 && r.IntN(4) == 0 { // the same recipient again, maybe in another case
				to = rows[len(rows)-1].to
				if to != nil && r.IntN(2) == 0 {
					to = new(strings.ToUpper(*to))
				}
			}
			mailer := pick(r, mailers...)
			for a, attempts := 0, 1+r.IntN(3); a < attempts; a++ {
				st := pick(r, statuses...)
				if a < attempts-1 {
					st = new("deferred")
				}
				row := mailRow{qid: qid, msgid: msgid, to: to, from: senders[r.IntN(len(senders))], mailer: mailer, status: st, size: size, zeit: at()}
				if r.IntN(15) == 0 { // a size read from another line
					s := r.Int64N(1 << 20)
					row.size = &s
				}
				rows = append(rows, row)
			}
		}
	}
	return rows
}

func insertMail(t *testing.T, db *pgtest.DB, rows []mailRow) {
	t.Helper()
	ctx := context.Background()
	parts := schema.NewPartitions(db.Pool, db.Loc)
	src := make([][]any, len(rows))
	for i, m := range rows {
		if err := parts.Ensure(ctx, "mta", m.zeit); err != nil {
			t.Fatal(err)
		}
		src[i] = []any{m.qid, m.msgid, m.to, m.from, m.mailer, m.status, m.size, m.zeit}
	}
	if _, err := db.Pool.CopyFrom(ctx, pgx.Identifier{"mta"}, []string{"queue_id", "msgid", "m_to", "m_from", "m_mailer", "m_status", "m_size", "zeit"},
		pgx.CopyFromRows(src)); err != nil {
		t.Fatal(err)
	}
}

// runMailReference runs the reference SQL for day the way rollup.Day runs
// a table's file: statement by statement in one transaction, the day's
// partition for {{day_rows}}, each statement given its own arguments.
func runMailReference(t *testing.T, db *pgtest.DB, day time.Time, domains []string) {
	t.Helper()
	if err := runMailReferenceErr(db, day, domains); err != nil {
		t.Fatalf("reference rollup of %s: %v", day.Format(time.DateOnly), err)
	}
}

func runMailReferenceErr(db *pgtest.DB, day time.Time, domains []string) error {
	ctx := context.Background()
	args := []any{day.Format(time.DateOnly), day, schema.NextDay(day), domains}
	src := schema.PartitionName("mta", day)
	var exists bool
	if err := db.Pool.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, src).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		src = "mta"
	}
	from := pgx.Identifier{src}.Sanitize()
	return pgx.BeginFunc(ctx, db.Pool, func(tx pgx.Tx) error {
		for _, st := range strings.Split(mailReferenceSQL, ";\n") {
			code := ""
			for _, l := range strings.Split(st, "\n") {
				l, _, _ = strings.Cut(l, "--")
				code += l + "\n"
			}
			if strings.TrimSpace(code) == "" {
				continue
			}
			n := 0
			for i := len(args); i > 0; i-- {
				if strings.Contains(code, fmt.Sprintf("$%d", i)) {
					n = i
					break
				}
			}
			if _, err := tx.Exec(ctx, strings.ReplaceAll(st, "{{day_rows}}", from), args[:n]...); err != nil {
				return fmt.Errorf("%w in %s", err, st)
			}
		}
		return nil
	})
}

// mailAggregates is every row of both mail tables, as text, sorted.
func mailAggregates(t *testing.T, db *pgtest.DB) []string {
	t.Helper()
	var out []string
	for _, tb := range []string{"agg_mail_mailbox", "agg_mail_domain"} {
		rows, err := db.Pool.Query(context.Background(), `SELECT $1 || ' ' || x::text FROM `+tb+` x`, tb)
		if err != nil {
			t.Fatal(err)
		}
		got, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, got...)
	}
	slices.Sort(out)
	return out
}

func diffRows(want, got []string) string {
	var b strings.Builder
	for _, w := range want {
		if !slices.Contains(got, w) {
			fmt.Fprintf(&b, "  only in the reference: %s\n", w)
		}
	}
	for _, g := range got {
		if !slices.Contains(want, g) {
			fmt.Fprintf(&b, "  only in sql/mail.sql:  %s\n", g)
		}
	}
	return b.String()
}

// TestMailSameAsReference: sql/mail.sql gives exactly the reference's
// rows in agg_mail_mailbox and agg_mail_domain, on adversarial rows, with
// no local domains (the transport decides) and with several lists of them.
func TestMailSameAsReference(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	rows := adversarialMail(1, 1500)
	rows = append(rows, adversarialMail(2, 1500)...)
	// Two senders of one domain, one message, a recipient in common: the
	// domain counts that recipient once, each mailbox once.
	at := mailDays[0].Add(9 * time.Hour)
	for _, m := range []mailRow{
		{qid: new("S1"), msgid: new("<s1@x>"), from: new("anna@example.com"), to: new("x@outside.org"), mailer: new("smtp"), status: new("sent"), size: new(int64(500))},
		{qid: new("S1"), msgid: new("<s1@x>"), from: new("BOB@example.com"), to: new("X@outside.org"), mailer: new("smtp"), status: new("sent"), size: new(int64(700))},
		{qid: new("S1"), msgid: new("<s1@x>"), from: new("bob@example.com"), to: new("y@outside.org"), mailer: new("smtp"), status: new("bounced"), size: new(int64(600))},
		{qid: new("S1"), msgid: new("<s1@x>"), from: new("bob@example.com"), to: new("anna@example.com"), mailer: new("local"), status: new("sent"), size: new(int64(600))},
	} {
		m.zeit = at
		rows = append(rows, m)
	}
	insertMail(t, db, rows)
	t.Logf("%d mta rows", len(rows))

	configs := [][]string{
		nil,
		{"example.com", "other.example"},
		{"", "müller.example", "EXAMPLE.COM", "sub.example.com"},
		{"outside.org", "example.com"},
	}
	// The day after holds only the rows on its first instant; the one after
	// that has no partition.
	days := append(slices.Clone(mailDays), schema.NextDay(mailDays[1]), schema.NextDay(schema.NextDay(mailDays[1])))
	sawOverlap := false
	for _, domains := range configs {
		for _, day := range days {
			d := domains
			if d == nil {
				d = []string{} // as rollup.Day passes it
			}
			runMailReference(t, db, day, d)
		}
		want := mailAggregates(t, db)
		if len(want) < 20 || !slices.ContainsFunc(want, func(r string) bool { return strings.Contains(r, "(2026-10-26,") }) {
			t.Fatalf("domains %q: the reference gives only %d rows, or none for the rows on the day's edge", domains, len(want))
		}
		// Recipients shared by mailboxes of one domain must have occurred,
		// or the domain's own recipient count went untested.
		if pgtest.Count(t, db.Pool, `SELECT count(*) FROM agg_mail_domain d
			WHERE recipients < (SELECT sum(recipients) FROM agg_mail_mailbox m WHERE (m.day, m.direction, m.domain) = (d.day, d.direction, d.domain))`) > 0 {
			sawOverlap = true
		}
		// Stale rows must go: the new SQL replaces the day whole.
		if _, err := db.Pool.Exec(ctx, `UPDATE agg_mail_mailbox SET messages = messages + 1; UPDATE agg_mail_domain SET bytes = bytes + 1`); err != nil {
			t.Fatal(err)
		}
		for _, day := range days {
			if err := rollup.Day(ctx, db.Pool, "mta", day, rollup.Options{Loc: db.Loc, LocalDomains: domains, Log: pgtest.Log()}); err != nil {
				t.Fatal(err)
			}
		}
		if got := mailAggregates(t, db); !slices.Equal(got, want) {
			t.Errorf("domains %q: sql/mail.sql differs from the reference (%d rows, want %d):\n%s", domains, len(got), len(want), diffRows(want, got))
		}
		// The archive's way: summed in Go from rows in any order, and, past
		// the bound on rows held, by sql/mail.sql in the same transaction.
		for _, bound := range []int{1 << 30, 1000} {
			restore := rollup.SetMaxMailRecs(bound)
			if _, err := db.Pool.Exec(ctx, `UPDATE agg_mail_mailbox SET messages = messages + 1; UPDATE agg_mail_domain SET bytes = bytes + 1`); err != nil {
				t.Fatal(err)
			}
			for _, day := range days {
				if err := rollup.FuseDay(ctx, db.Pool, "mta", day, rollup.Options{Loc: db.Loc, LocalDomains: domains, Log: pgtest.Log()}); err != nil {
					t.Fatal(err)
				}
			}
			restore()
			if got := mailAggregates(t, db); !slices.Equal(got, want) {
				t.Errorf("domains %q, at most %d rows held: the fused rollup differs from the reference (%d rows, want %d):\n%s",
					domains, bound, len(got), len(want), diffRows(want, got))
			}
		}
	}
	if !sawOverlap {
		t.Error("no domain had recipients shared between its mailboxes")
	}
}

// TestMailFailsAsReference: where the reference failed, sql/mail.sql fails too
// and changes nothing; bytes that overflow on the way but not in the end
// are right.
func TestMailFailsAsReference(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	at := mailDays[0].Add(10 * time.Hour)
	msg := func(qid string, size int64) mailRow {
		return mailRow{qid: new(qid), msgid: new("<" + qid + "@x>"), from: new("x@outside.org"), to: new("anna@example.com"),
			mailer: new("local"), status: new("sent"), size: new(size), zeit: at}
	}
	const big = math.MaxInt64
	for _, c := range []struct {
		name string
		rows []mailRow
		fail string // what the reference fails with; "" for none
	}{
		{"bytes over bigint", []mailRow{msg("A", big), msg("B", 1)}, "out of range"},
		{"bytes under bigint", []mailRow{msg("A", math.MinInt64), msg("B", -1)}, "out of range"},
		{"over on the way, not in the end", []mailRow{msg("A", big), msg("B", big), msg("C", -big), msg("D", math.MinInt64), msg("E", big)}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := db.Pool.Exec(ctx, `TRUNCATE mta, agg_mail_mailbox, agg_mail_domain`); err != nil {
				t.Fatal(err)
			}
			insertMail(t, db, c.rows)
			// A stale row of the day: a failure must leave it, a success replace it.
			if _, err := db.Pool.Exec(ctx, `INSERT INTO agg_mail_domain VALUES ($1, 'in', 'stale.example', 1, 1, 1, 1, 0, 0, 0)`, mailDays[0]); err != nil {
				t.Fatal(err)
			}
			before := mailAggregates(t, db)
			refErr := runMailReferenceErr(db, mailDays[0], []string{})
			if got := fmt.Sprint(refErr); c.fail == "" && refErr != nil || c.fail != "" && !strings.Contains(got, c.fail) {
				t.Fatalf("the reference gave %v, want %q", refErr, c.fail)
			}
			want := mailAggregates(t, db)
			if _, err := db.Pool.Exec(ctx, `TRUNCATE agg_mail_mailbox, agg_mail_domain`); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Pool.Exec(ctx, `INSERT INTO agg_mail_domain VALUES ($1, 'in', 'stale.example', 1, 1, 1, 1, 0, 0, 0)`, mailDays[0]); err != nil {
				t.Fatal(err)
			}
			err := rollup.Day(ctx, db.Pool, "mta", mailDays[0], rollup.Options{Loc: db.Loc, Log: pgtest.Log()})
			if got := fmt.Sprint(err); c.fail == "" && err != nil || c.fail != "" && !strings.Contains(got, c.fail) {
				t.Fatalf("sql/mail.sql gave %v, want %q", err, c.fail)
			}
			got := mailAggregates(t, db)
			if c.fail != "" && !slices.Equal(got, before) {
				t.Errorf("a failed rollup changed the aggregates:\n%s", diffRows(before, got))
			}
			if !slices.Equal(got, want) {
				t.Errorf("sql/mail.sql differs from the reference:\n%s", diffRows(want, got))
			}
			// The archive's way fails alike.
			if _, err := db.Pool.Exec(ctx, `TRUNCATE agg_mail_mailbox, agg_mail_domain`); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Pool.Exec(ctx, `INSERT INTO agg_mail_domain VALUES ($1, 'in', 'stale.example', 1, 1, 1, 1, 0, 0, 0)`, mailDays[0]); err != nil {
				t.Fatal(err)
			}
			err = rollup.FuseDay(ctx, db.Pool, "mta", mailDays[0], rollup.Options{Loc: db.Loc, Log: pgtest.Log()})
			if got := fmt.Sprint(err); c.fail == "" && err != nil || c.fail != "" && !strings.Contains(got, c.fail) {
				t.Fatalf("the fused rollup gave %v, want %q", err, c.fail)
			}
			if got := mailAggregates(t, db); !slices.Equal(got, want) {
				t.Errorf("the fused rollup differs from the reference:\n%s", diffRows(want, got))
			}
		})
	}
}
