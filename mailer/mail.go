// Package mailer carries archives and notices to the administrator: it
// renders MIME messages byte for byte reproducibly, speaks SMTP, delivers
// into a local Maildir for collection over a dial-in line, and encrypts
// attachments with age. It knows nothing of the database; jobs/deliver
// decides what is sent when.
package mailer

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/wneessen/go-mail"
)

// Message is one mail as ispacct sends it: a plain-text body and at most
// one attachment. Everything that would otherwise vary between renderings
// (date, Message-ID, MIME boundary) is given, so the same Message always
// renders to the same bytes: what was stored in the outbox is what is sent.
type Message struct {
	From      string
	To        []string
	Subject   string
	Date      time.Time
	MessageID string // without angle brackets: "acct-2026-11-21.smtp.3fa2b1c0@cpe.example.net"
	Body      string
	// Headers are extra header fields, written as given (ASCII values).
	Headers    []Header
	Attachment *Attachment // nil: none
}

// Header is one extra header field.
type Header struct{ Name, Value string }

// Attachment is a file attached to a Message, read when it is rendered.
type Attachment struct {
	Path        string
	Name        string // the file name the recipient sees
	ContentType string
}

// WriteTo renders the message as RFC 5322 text with CRLF line ends.
func (m *Message) WriteTo(w io.Writer) (int64, error) {
	msg := mail.NewMsg(mail.WithNoDefaultUserAgent())
	if err := msg.From(m.From); err != nil {
		return 0, fmt.Errorf("compose %s: from %q: %w", m.MessageID, m.From, err)
	}
	if err := msg.To(m.To...); err != nil {
		return 0, fmt.Errorf("compose %s: to %q: %w", m.MessageID, m.To, err)
	}
	msg.Subject(m.Subject)
	msg.SetDateWithValue(m.Date)
	msg.SetMessageIDWithValue(m.MessageID)
	msg.SetUserAgent("ispacct")
	// A boundary from the Message-ID: unique per message, same every time.
	sum := sha256.Sum256([]byte(m.MessageID))
	msg.SetBoundary("ispacct-" + hex.EncodeToString(sum[:12]))
	for _, h := range m.Headers {
		msg.SetGenHeaderPreformatted(mail.Header(h.Name), h.Value)
	}
	msg.SetBodyString(mail.TypeTextPlain, m.Body)
	if a := m.Attachment; a != nil {
		// Opened here rather than by go-mail, which skips a file it cannot
		// open without a word; a missing archive must be an error.
		f, err := os.Open(a.Path)
		if err != nil {
			return 0, fmt.Errorf("compose %s: attach: %w", m.MessageID, err)
		}
		defer f.Close()
		ct := a.ContentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		msg.AttachReadSeeker(a.Name, f, mail.WithFileContentType(mail.ContentType(ct)))
	}
	n, err := msg.WriteTo(w)
	if err != nil {
		return n, fmt.Errorf("compose %s: %w", m.MessageID, err)
	}
	return n, nil
}

// Summary is what the body of an archive mail says about its period.
type Summary struct {
	Kind   string // "day" or "month"
	Period string // 2026-11-21 or 2026-11
	Host   string
	// Archive is the zip as written on the box.
	Archive ArchiveInfo
	// Encrypted describes the attachment when it is the archive encrypted
	// with age; nil when it is the zip itself.
	Encrypted *EncryptedInfo
	// Attached is false when the archive is too large to mail; Where then
	// says where it waits. Where may list places in either case.
	Attached bool
	Where    []string
	Rejects  RejectSummary
	// Sections follow the fixed part in order. This is where further
	// figures of the period go (top LANs, totals) once the roll-ups
	// provide them: a job adds a Section, the body shows it.
	Sections []Section
}

// ArchiveInfo describes an archive file.
type ArchiveInfo struct {
	Name   string     `json:"name"`
	Bytes  int64      `json:"bytes"`
	SHA256 string     `json:"sha256"`
	Files  []FileRows `json:"files"` // rows per .asc file, in archive order
}

// FileRows is the number of rows of one .asc file.
type FileRows struct {
	Name string `json:"name"`
	Rows int64  `json:"rows"`
}

// EncryptedInfo describes an archive encrypted with age.
type EncryptedInfo struct {
	Name   string
	Bytes  int64
	SHA256 string
}

// RejectSummary counts the log lines that could not be loaded from the
// files that hold the period's rows.
type RejectSummary struct {
	Files   []RejectFile
	Reasons []ReasonCount // most frequent first
}

// RejectFile is one log file's line and reject counts.
type RejectFile struct {
	Path    string
	Source  string
	Lines   int64
	Rejects int64
}

// ReasonCount is how often one reject reason occurred.
type ReasonCount struct {
	Reason string
	Count  int64
}

// Section is a titled block of lines in the body.
type Section struct {
	Title string
	Lines []string
}

// Text renders the summary as the plain-text body.
func (s *Summary) Text() string {
	var b strings.Builder
	what := "day"
	if s.Kind == "month" {
		what = "month"
	}
	fmt.Fprintf(&b, "Accounting archive of the %s %s from %s.\n\n", what, s.Period, s.Host)
	section(&b, "Archive")
	fmt.Fprintf(&b, "  %s  %s  sha256 %s\n", s.Archive.Name, size(s.Archive.Bytes), s.Archive.SHA256)
	for _, f := range s.Archive.Files {
		fmt.Fprintf(&b, "  %-10s %12d rows\n", f.Name, f.Rows)
	}
	b.WriteString("\n")
	switch {
	case s.Attached && s.Encrypted != nil:
		fmt.Fprintf(&b, "Attached: %s (%s, sha256 %s), the archive encrypted with age.\nDecrypt it with:\n  age -d -i key.txt %s > %s\n",
			s.Encrypted.Name, size(s.Encrypted.Bytes), s.Encrypted.SHA256, s.Encrypted.Name, s.Archive.Name)
	case s.Attached:
		fmt.Fprintf(&b, "Attached: %s.\n", s.Archive.Name)
	default:
		att := s.Archive.Bytes
		if s.Encrypted != nil {
			att = s.Encrypted.Bytes
		}
		fmt.Fprintf(&b, "Not attached: at %s the archive is larger than this mail may carry.\n", size(att))
	}
	if len(s.Where) > 0 {
		if s.Attached {
			b.WriteString("Copies:\n")
		} else {
			b.WriteString("The archive waits:\n")
		}
		for _, w := range s.Where {
			fmt.Fprintf(&b, "  %s\n", w)
		}
	}
	b.WriteString("\n")
	section(&b, "Rejected log lines")
	var lines, rejects int64
	for _, f := range s.Rejects.Files {
		lines += f.Lines
		rejects += f.Rejects
	}
	if len(s.Rejects.Files) == 0 {
		b.WriteString("  no log file holds rows of this period\n")
	} else {
		fmt.Fprintf(&b, "  %d of %d lines in the %d log file(s) holding this period's rows\n", rejects, lines, len(s.Rejects.Files))
		for _, f := range s.Rejects.Files {
			if f.Rejects > 0 {
				fmt.Fprintf(&b, "  %s (%s): %d of %d\n", f.Path, f.Source, f.Rejects, f.Lines)
			}
		}
		for _, r := range s.Rejects.Reasons {
			fmt.Fprintf(&b, "  %6d x %s\n", r.Count, r.Reason)
		}
		if rejects > 0 {
			b.WriteString("  'ispacct rejects --from DATE' lists them by the day they were loaded\n")
		}
	}
	for _, sec := range s.Sections {
		b.WriteString("\n")
		section(&b, sec.Title)
		for _, l := range sec.Lines {
			fmt.Fprintf(&b, "  %s\n", l)
		}
	}
	return b.String()
}

func section(b *strings.Builder, title string) {
	fmt.Fprintf(b, "%s\n%s\n", title, strings.Repeat("-", len(title)))
}

// size is a byte count people read: 1037 bytes, 12.4 MiB.
func size(n int64) string {
	switch {
	case n < 10<<10:
		return fmt.Sprintf("%d bytes", n)
	case n < 10<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	default:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
}

// FailureNotice is the short mail a failed job sends, like cron's MAILTO.
type FailureNotice struct {
	Job     string    // "ingest"
	Host    string    // where it ran
	At      time.Time // when it failed
	Err     string    // the error, as the job reported it
	Command string    // the command that runs it again
	// Partial: the job finished but left out what Err lists, one item a
	// line; it is not run again by itself.
	Partial bool
}

// Text renders the notice as the plain-text body.
func (f *FailureNotice) Text() string {
	var b strings.Builder
	at := f.At.Format("2006-01-02 15:04:05 -07:00")
	title, again, end := "Error", "Run it again with", "Committed work is kept; the next run goes on from there."
	if f.Partial {
		fmt.Fprintf(&b, "The ispacct job %q was only partly done on %s at %s.\n\n", f.Job, f.Host, at)
		title, again = "Left out", "Once the cause is fixed, run it again with"
		end = "What could be read is loaded and archived; running it again adds only what is missing."
	} else {
		fmt.Fprintf(&b, "The ispacct job %q failed on %s at %s.\n\n", f.Job, f.Host, at)
	}
	section(&b, title)
	for _, l := range strings.Split(strings.TrimRight(f.Err, "\n"), "\n") {
		fmt.Fprintf(&b, "  %s\n", l)
	}
	if f.Command != "" {
		b.WriteString("\n")
		section(&b, again)
		fmt.Fprintf(&b, "  %s\n", f.Command)
	}
	b.WriteString("\n" + end + "\n")
	return b.String()
}
