package parsers

import (
	"bytes"
	"slices"
	"strings"
	"time"
)

// Mail is one recipient delivery attempt: a row of table mta. Unlike the
// records of the line parsers, a Mail owns its strings: the message's
// Message-ID, sender and size come from lines read earlier, perhaps in an
// earlier run.
//
// Conventions:
//   - Addresses (To, From, OrigTo) are written without angle brackets. The
//     null sender of bounces is "<>"; an empty From means the sender is not
//     known (the message began before the first line read).
//   - Msgid is the Message-ID without its enclosing angle brackets, as
//     mail tools show it ("20261121.abc@example.com"); empty if not known.
//   - Status is lower case and uses Postfix's words: sent, deferred,
//     bounced, expired (and what else the MTA logs, e.g. deliverable).
//     Sendmail's stat= is mapped onto them; its full text is in StatusText.
//   - RemoteID is the queue id the receiving side reported: "queued as X",
//     "X Message accepted for delivery" (Sendmail) or "OK id=X" (Exim).
type Mail struct {
	Zeit       time.Time     // time of the delivery line (UTC)
	QueueID    string        // local queue id
	Msgid      string        // msgid
	To         string        // m_to
	OrigTo     string        // original recipient before aliasing, if logged
	From       string        // m_from
	Mailer     string        // m_mailer: Postfix transport ("smtp", "relay/smtp") or Sendmail mailer=
	Size       int64         // m_size; 0 if not known
	Relay      string        // m_relay, as logged ("mx.example.com[192.0.2.1]:25", "none")
	RemoteID   string        // m_remote_id
	Status     string        // m_status
	DSN        string        // enhanced status code, "2.0.0"
	Delay      time.Duration // delay= of the line: time since the message arrived
	StatusText string        // the server's reply or the MTA's explanation
}

// OpenMessage is a message seen but not finished. MailLog.State returns
// them and MailOptions.State takes them back, so that a message whose
// lines lie in two files or two runs is still assembled. The type is plain
// data (JSON-friendly); all strings are valid UTF-8 without NUL.
type OpenMessage struct {
	QueueID string    `json:"qid"`
	MsgID   string    `json:"msgid,omitempty"`
	From    string    `json:"from,omitempty"`
	Size    int64     `json:"size,omitempty"`
	NRcpt   int       `json:"nrcpt,omitempty"`
	First   time.Time `json:"first"` // first line seen (UTC)
	Last    time.Time `json:"last"`  // latest line seen (UTC)

	// How far the message got; a start line for a queue id that is already
	// past that stage starts a new message (queue id reuse).
	Received bool `json:"received,omitempty"` // smtpd client= / pickup / Sendmail from=
	Cleaned  bool `json:"cleaned,omitempty"`  // Postfix cleanup message-id=
	Queued   bool `json:"queued,omitempty"`   // Postfix qmgr from=
	Attempts int  `json:"attempts,omitempty"` // delivery lines seen
	Final    int  `json:"final,omitempty"`    // recipients with a final status
	Complete bool `json:"complete,omitempty"` // Sendmail: every recipient final

	// Recipients whose latest attempt was deferred: they expire with the
	// message.
	Pending []Recipient `json:"pending,omitempty"`
}

// Recipient is a recipient still waiting for delivery.
type Recipient struct {
	To     string `json:"to"`
	OrigTo string `json:"orig_to,omitempty"`
	Mailer string `json:"mailer,omitempty"`
}

// MailState is everything a MailLog needs to continue where it stopped.
// It belongs to one sequence of files read in order: to read old files
// again (a manual re-run of a past period), start from the state saved
// before them, or from none.
type MailState struct {
	// Clock is the latest time stamp read; open messages age against it.
	Clock time.Time     `json:"clock"`
	Open  []OpenMessage `json:"open"`
}

// MailStats counts what a MailLog did with its lines. Lines is always
// Used + Ignored + Rejected.
type MailStats struct {
	Lines    int64 // lines given to Parse
	Used     int64 // lines that changed a message or produced rows
	Ignored  int64 // lines not about a message (connect, warning, anvil...), or about one but saying nothing kept
	Own      int64 // syslog lines of the MTA's own programs (postfix/..., sendmail, sm-mta...)
	Rejected int64 // lines returned as rejects
	Rows     int64 // rows returned
	Reused   int64 // a start line found its queue id still open: the old message was closed
	Dropped  int64 // open messages dropped unfinished because they were older than MaxAge
}

// DefaultMaxAge is how long an unfinished message stays open without a
// new line: more than Postfix's maximal_queue_lifetime and Sendmail's
// Timeout.queuereturn (both five days).
const DefaultMaxAge = 7 * 24 * time.Hour

// completeGrace is how long a Sendmail message whose recipients are all
// final stays open for late lines (an alias expanding to more recipients
// than nrcpts counts). Sendmail logs no "removed".
const completeGrace = time.Hour

// MailOptions configures a MailLog.
type MailOptions struct {
	// Location is the zone of year-less syslog time stamps; nil means
	// time.Local.
	Location *time.Location
	// Reference is the time the year of a year-less time stamp is
	// inferred from: the log file's modification time, or now. Zero means
	// time.Now(). SetReference changes it for the next file.
	Reference time.Time
	// MaxAge closes open messages that have had no line for longer
	// (measured in log time). Zero means DefaultMaxAge.
	MaxAge time.Duration
	// State is the open state a previous run returned from State.
	State MailState
}

// MailLog assembles mail log lines into one row per recipient delivery
// attempt. Lines belong to messages by queue id; a row is returned when
// its delivery line is read and carries what earlier lines said about the
// message (Message-ID, sender, size). Lines of other programs and lines
// not about a message are skipped and counted (Stats().Ignored); only a
// line that is not a syslog line, or a message line that is broken, is a
// reject.
//
// The open messages are state that outlives a file and a run: State
// returns it and MailOptions.State restores it. Restoring and continuing
// gives exactly the rows of one uninterrupted pass.
//
// A MailLog is not safe for concurrent use.
type MailLog struct {
	clock   syslogClock
	hdr     syslogHeader
	dialect func(*MailLog, *syslogHeader) (bool, error)
	ownTag  func(tag []byte) bool // the MTA's own programs, for MailStats.Own
	maxAge  time.Duration

	open    map[string]*OpenMessage
	now     time.Time // latest time stamp read
	swept   time.Time // when open was last swept
	stats   MailStats
	rows    []Mail
	scratch []byte
	plain   bool // the current line needs no text repair (see isPlain)
	buf     []byte
	intern  map[string]string
	free    []*OpenMessage
}

func newMailLog(o MailOptions, dialect func(*MailLog, *syslogHeader) (bool, error), ownTag func([]byte) bool) *MailLog {
	m := &MailLog{
		dialect: dialect,
		ownTag:  ownTag,
		maxAge:  o.MaxAge,
		open:    make(map[string]*OpenMessage, len(o.State.Open)),
		now:     o.State.Clock.UTC(),
		intern:  make(map[string]string),
	}
	if m.maxAge <= 0 {
		m.maxAge = DefaultMaxAge
	}
	m.swept = m.now
	m.clock.setRef(o.Reference, o.Location)
	for _, om := range o.State.Open {
		if om.QueueID == "" {
			continue
		}
		c := om
		c.First, c.Last = c.First.UTC(), c.Last.UTC()
		c.Pending = slices.Clone(om.Pending)
		m.open[c.QueueID] = &c
	}
	return m
}

// SetReference sets the reference time for the year of the following
// lines' time stamps; call it before the lines of each file with the
// file's modification time.
func (m *MailLog) SetReference(ref time.Time) { m.clock.setRef(ref, m.clock.loc) }

// Stats returns the counts since the MailLog was made.
func (m *MailLog) Stats() MailStats { return m.stats }

// State closes the messages that are too old (counting them in
// Stats().Dropped) and returns the rest, ordered by first line and queue
// id, together with the log clock. The value shares nothing with the
// MailLog.
func (m *MailLog) State() MailState {
	m.sweep()
	st := MailState{Clock: m.now, Open: make([]OpenMessage, 0, len(m.open))}
	for _, om := range m.open {
		c := *om
		c.Pending = slices.Clone(om.Pending)
		st.Open = append(st.Open, c)
	}
	slices.SortFunc(st.Open, func(a, b OpenMessage) int {
		if c := a.First.Compare(b.First); c != 0 {
			return c
		}
		return strings.Compare(a.QueueID, b.QueueID)
	})
	return st
}

// Parse reads one line and returns the rows it completes: none for most
// lines, one per recipient of a delivery line, one per waiting recipient
// when a message expires. The slice is reused by the next call; the rows
// in it own their strings. The error, if any, is the reject reason.
func (m *MailLog) Parse(line []byte) ([]Mail, error) {
	m.rows = m.rows[:0]
	m.scratch = m.scratch[:0]
	m.plain = isPlain(line)
	m.stats.Lines++
	h := &m.hdr // a field, not a local: through the dialect func it would escape
	if err := m.clock.header(line, h); err != nil {
		if isBlank(line) { // a blank line, often at the end of a file
			m.stats.Ignored++
			return nil, nil
		}
		m.stats.Rejected++
		return nil, err
	}
	// The clock follows the log, but not past the reference time (plus
	// the usual day of slack): one line with a corrupt far-future stamp
	// must not age every open message out.
	if h.Time.After(m.now) && !h.Time.After(m.clock.ref.Add(yearSlack)) {
		m.now = h.Time
		if m.now.Sub(m.swept) > time.Hour {
			m.sweep()
		}
	}
	if m.ownTag(h.Tag) {
		m.stats.Own++
	}
	used := false
	var err error
	if len(h.Tag) > 0 {
		used, err = m.dialect(m, h)
	}
	switch {
	case err != nil:
		m.stats.Rejected++
		m.rows = m.rows[:0]
		return nil, err
	case used || len(m.rows) > 0:
		m.stats.Used++
	default:
		m.stats.Ignored++
	}
	m.stats.Rows += int64(len(m.rows))
	if len(m.rows) == 0 {
		return nil, nil
	}
	return m.rows, nil
}

// dead reports whether an open message is over: no line for longer than
// MaxAge, or complete and past the grace time. Ages are measured against
// the log clock, which only moves forward, so a message once dead stays
// dead and sweeping at any moment gives the same rows.
func (m *MailLog) dead(om *OpenMessage) bool {
	idle := m.now.Sub(om.Last)
	return idle > m.maxAge || (om.Complete && idle > completeGrace)
}

func (m *MailLog) sweep() {
	m.swept = m.now
	for _, om := range m.open {
		if m.dead(om) {
			m.drop(om)
		}
	}
}

// drop closes a dead message; an unfinished one is counted.
func (m *MailLog) drop(om *OpenMessage) {
	if !om.Complete {
		m.stats.Dropped++
	}
	m.close(om)
}

// close forgets an open message.
func (m *MailLog) close(om *OpenMessage) {
	delete(m.open, om.QueueID)
	*om = OpenMessage{Pending: om.Pending[:0]}
	if len(m.free) < 64 {
		m.free = append(m.free, om)
	}
}

// lookup returns the open message with queue id qid, or nil.
func (m *MailLog) lookup(qid []byte) *OpenMessage {
	om := m.open[string(qid)]
	if om == nil {
		return nil
	}
	if m.dead(om) {
		m.drop(om)
		return nil
	}
	return om
}

// create opens a new message for qid at time t.
func (m *MailLog) create(qid []byte, t time.Time) *OpenMessage {
	var om *OpenMessage
	if n := len(m.free); n > 0 {
		om, m.free = m.free[n-1], m.free[:n-1]
	} else {
		om = new(OpenMessage)
	}
	om.QueueID = string(qid)
	om.First, om.Last = t, t
	m.open[om.QueueID] = om
	return om
}

// get returns the open message for qid, creating it when there is none.
func (m *MailLog) get(qid []byte, t time.Time) *OpenMessage {
	om := m.lookup(qid)
	if om == nil {
		om = m.create(qid, t)
	}
	om.Last = t
	return om
}

// restart begins a new message for qid; an open message under the same
// queue id is a reused id and is closed first.
func (m *MailLog) restart(qid []byte, t time.Time) *OpenMessage {
	if old := m.lookup(qid); old != nil {
		m.stats.Reused++
		m.close(old)
	}
	return m.create(qid, t)
}

// str returns b as a string, sharing the strings of values seen often
// (mailers, relays, status words) instead of allocating each time.
func (m *MailLog) str(b []byte) string {
	if s, ok := m.intern[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(m.intern) < 4096 && len(b) <= 128 {
		m.intern[s] = s
	}
	return s
}

// text applies the text rule to b, a part of the current line.
func (m *MailLog) text(b []byte) []byte {
	if m.plain {
		return b
	}
	return textField(&m.scratch, b)
}

// setString stores b in *dst unless it already holds those bytes.
func setString(dst *string, b []byte) {
	if *dst != string(b) {
		*dst = string(b)
	}
}

// addRow appends a row for om. to, origTo and statusText come from the
// line and are copied in one allocation; remoteID is found in statusText.
func (m *MailLog) addRow(om *OpenMessage, t time.Time, to, origTo, statusText []byte) *Mail {
	m.buf = append(append(append(m.buf[:0], to...), origTo...), statusText...)
	s := string(m.buf)
	n1, n2 := len(to), len(to)+len(origTo)
	m.rows = append(m.rows, Mail{
		Zeit:       t,
		QueueID:    om.QueueID,
		Msgid:      om.MsgID,
		From:       om.From,
		Size:       om.Size,
		To:         s[:n1],
		OrigTo:     s[n1:n2],
		StatusText: s[n2:],
	})
	r := &m.rows[len(m.rows)-1]
	r.RemoteID = remoteID(r.StatusText)
	om.Attempts++
	return r
}

// settle records the outcome of a delivery row for its recipient: a
// deferred recipient waits (and expires with the message), any other
// status is final.
func (m *MailLog) settle(om *OpenMessage, r *Mail) {
	i := slices.IndexFunc(om.Pending, func(p Recipient) bool { return p.To == r.To && p.OrigTo == r.OrigTo })
	if r.Status == "deferred" || r.Status == "queued" {
		if i < 0 {
			om.Pending = append(om.Pending, Recipient{To: r.To, OrigTo: r.OrigTo, Mailer: r.Mailer})
		} else {
			om.Pending[i].Mailer = r.Mailer
		}
		return
	}
	if i >= 0 {
		om.Pending = slices.Delete(om.Pending, i, i+1)
	}
	om.Final++
}

// expire returns one "expired" row per waiting recipient of om (one row
// without recipient if none is known): the message was returned to its
// sender unfinished.
func (m *MailLog) expire(om *OpenMessage, t time.Time, text string) {
	if len(om.Pending) == 0 {
		om.Pending = append(om.Pending, Recipient{})
	}
	for _, p := range om.Pending {
		m.rows = append(m.rows, Mail{
			Zeit: t, QueueID: om.QueueID, Msgid: om.MsgID, From: om.From, Size: om.Size,
			To: p.To, OrigTo: p.OrigTo, Mailer: p.Mailer, Status: "expired", StatusText: text,
		})
		om.Final++
	}
	om.Pending = om.Pending[:0]
}

// remoteID finds the receiving side's queue id in a delivery reply.
func remoteID(text string) string {
	if i := strings.Index(text, "queued as "); i >= 0 {
		return idToken(text[i+len("queued as "):])
	}
	if i := strings.Index(text, " Message accepted for delivery"); i > 0 {
		j := strings.LastIndexAny(text[:i], " (") + 1
		if id := idToken(text[j:i]); strings.Trim(id, "0123456789.") != "" {
			return id
		}
		return ""
	}
	if i := strings.Index(text, "OK id="); i >= 0 {
		return idToken(text[i+len("OK id="):])
	}
	return ""
}

// idToken returns the leading run of s that can be a queue id.
func idToken(s string) string {
	i := 0
	for i < len(s) {
		c := s[i]
		if c == ' ' || c == ')' || c == ',' || c == ';' || c == '>' || c == '<' || c == '(' || c == ']' || c == '[' {
			break
		}
		i++
	}
	return s[:i]
}

// stripAngle removes one pair of enclosing angle brackets.
func stripAngle(b []byte) []byte {
	if len(b) >= 2 && b[0] == '<' && b[len(b)-1] == '>' {
		return b[1 : len(b)-1]
	}
	return b
}

// sender is an envelope sender as stored: brackets removed, the null
// sender written "<>".
func sender(b []byte) []byte {
	b = trimSpace(b)
	if len(b) == 2 && b[0] == '<' && b[1] == '>' {
		return b
	}
	return stripAngle(b)
}

// nextKV reads "key=value" at the start of b, where b is a list like
// "to=<a@b>, relay=x[1.2.3.4]:25, delay=1". The value ends at the first
// ", " that is followed by another key ("word="), so values may hold
// commas and spaces. The key is lower-case letters, digits, '_' or '-'.
func nextKV(b []byte) (key, val, rest []byte, ok bool) {
	eq := -1
	for i, c := range b {
		if c == '=' {
			eq = i
			break
		}
		if !isKeyByte(c) {
			return nil, nil, nil, false
		}
	}
	if eq <= 0 {
		return nil, nil, nil, false
	}
	key, b = b[:eq], b[eq+1:]
	// An address value does not end before its '>': its quoted local
	// part may hold ", x=" itself (to=<"doe, x=1"@example.com>).
	addr := len(b) > 0 && b[0] == '<'
	for off := 0; ; {
		i := indexCommaSpace(b[off:])
		if i < 0 {
			return key, b, nil, true
		}
		i += off
		if startsWithKey(b[i+2:]) && (!addr || b[i-1] == '>' || bytes.IndexByte(b[:i], '>') > 0) {
			return key, b[:i], b[i+2:], true
		}
		off = i + 2
	}
}

func indexCommaSpace(b []byte) int {
	for off := 0; ; {
		i := bytes.IndexByte(b[off:], ',')
		if i < 0 {
			return -1
		}
		i += off
		if i+1 < len(b) && b[i+1] == ' ' {
			return i
		}
		off = i + 1
	}
}

func isKeyByte(c byte) bool {
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'
}

func startsWithKey(b []byte) bool {
	for i, c := range b {
		if c == '=' {
			return i > 0
		}
		if !isKeyByte(c) {
			return false
		}
	}
	return false
}

// parseDelaySeconds parses Postfix's delay=, seconds with a fraction
// ("0.52", "3605").
func parseDelaySeconds(b []byte) (time.Duration, bool) {
	var d time.Duration
	i := 0
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		if i > 12 {
			return 0, false
		}
		d = d*10 + time.Duration(b[i]-'0')
		i++
	}
	if i == 0 {
		return 0, false
	}
	d *= time.Second
	if i < len(b) {
		if b[i] != '.' {
			return 0, false
		}
		unit := time.Second
		for _, c := range b[i+1:] {
			if c < '0' || c > '9' {
				return 0, false
			}
			unit /= 10
			d += time.Duration(c-'0') * unit
		}
	}
	return d, true
}

// leadingUint parses the digits at the start of b ("2 (queue active)").
func leadingUint(b []byte) (int64, bool) {
	i := 0
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return parseUint(b[:i])
}
