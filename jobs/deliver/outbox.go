package deliver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Delivery statuses (the deliveries table).
const (
	StatusPending    = "pending"    // waits for NextAttempt
	StatusSending    = "sending"    // a send was under way
	StatusSent       = "sent"       // delivered
	StatusFailed     = "failed"     // refused for good (5xx): kept and listed, not retried until resent
	StatusSuperseded = "superseded" // a resend replaced it
)

// Channels.
const (
	ChannelSMTP    = "smtp"
	ChannelMaildir = "maildir"
)

// Kinds of message.
const (
	KindArchive = "archive"
	KindFailure = "failure"
)

// Delivery is one message of the outbox and what became of it.
type Delivery struct {
	ID          int64      `json:"id"`
	Kind        string     `json:"kind"`
	Period      string     `json:"period"`
	Channel     string     `json:"channel"`
	Generation  int        `json:"generation"`
	Sender      string     `json:"sender"`
	Recipient   string     `json:"recipient"`
	MessageID   string     `json:"message_id"`
	Subject     string     `json:"subject"`
	EMLPath     string     `json:"eml_path"`
	EMLBytes    int64      `json:"eml_bytes"`
	EMLSHA256   string     `json:"eml_sha256"`
	ArchiveSHA  string     `json:"archive_sha256,omitempty"`
	Attached    bool       `json:"attached"`
	Encrypted   bool       `json:"encrypted"`
	Status      string     `json:"status"`
	Attempts    int        `json:"attempts"`
	LastError   string     `json:"last_error,omitempty"`
	NextAttempt time.Time  `json:"next_attempt"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	SentAt      *time.Time `json:"sent_at,omitempty"`
	DeliveredAs string     `json:"delivered_as,omitempty"`
}

const deliveryColumns = `id, kind, period, channel, generation, sender, recipient, message_id, subject,
	eml_path, eml_bytes, eml_sha256, coalesce(archive_sha256, ''), attached, encrypted, status, attempts,
	coalesce(last_error, ''), next_attempt, created_at, updated_at, sent_at, coalesce(delivered_as, '')`

func scanDeliveries(rows pgx.Rows) ([]Delivery, error) {
	defer rows.Close()
	var out []Delivery
	for rows.Next() {
		var d Delivery
		err := rows.Scan(&d.ID, &d.Kind, &d.Period, &d.Channel, &d.Generation, &d.Sender, &d.Recipient, &d.MessageID,
			&d.Subject, &d.EMLPath, &d.EMLBytes, &d.EMLSHA256, &d.ArchiveSHA, &d.Attached, &d.Encrypted, &d.Status,
			&d.Attempts, &d.LastError, &d.NextAttempt, &d.CreatedAt, &d.UpdatedAt, &d.SentAt, &d.DeliveredAs)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// Waiting lists the messages not delivered: pending, interrupted while
// sending, and refused for good, oldest first.
func Waiting(ctx context.Context, pool *pgxpool.Pool) ([]Delivery, error) {
	rows, err := pool.Query(ctx, `SELECT `+deliveryColumns+` FROM deliveries
		WHERE status IN ('pending', 'sending', 'failed') ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list outbox: %w", err)
	}
	ds, err := scanDeliveries(rows)
	if err != nil {
		return nil, fmt.Errorf("list outbox: %w", err)
	}
	return ds, nil
}

// History lists every message recorded, newest first, at most limit
// (0: all).
func History(ctx context.Context, pool *pgxpool.Pool, limit int) ([]Delivery, error) {
	sql := `SELECT ` + deliveryColumns + ` FROM deliveries ORDER BY id DESC`
	if limit > 0 {
		sql += fmt.Sprintf(" LIMIT %d", limit)
	}
	rows, err := pool.Query(ctx, sql)
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	ds, err := scanDeliveries(rows)
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	return ds, nil
}

// latest returns the newest generation of a message, nil if none.
func latest(ctx context.Context, pool *pgxpool.Pool, kind, period, channel string) (*Delivery, error) {
	rows, err := pool.Query(ctx, `SELECT `+deliveryColumns+` FROM deliveries
		WHERE kind = $1 AND period = $2 AND channel = $3 ORDER BY generation DESC LIMIT 1`, kind, period, channel)
	if err != nil {
		return nil, err
	}
	ds, err := scanDeliveries(rows)
	if err != nil || len(ds) == 0 {
		return nil, err
	}
	return &ds[0], nil
}

// insert records a message whose .eml is already in the outbox. It
// returns false when the same generation was recorded meanwhile.
func insert(ctx context.Context, pool *pgxpool.Pool, d *Delivery) (bool, error) {
	err := pool.QueryRow(ctx, `INSERT INTO deliveries (kind, period, channel, generation, sender, recipient,
			message_id, subject, eml_path, eml_bytes, eml_sha256, archive_sha256, attached, encrypted,
			status, next_attempt, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, nullif($12, ''), $13, $14, 'pending', $15, $15, $15)
		ON CONFLICT (kind, period, channel, generation) DO NOTHING
		RETURNING id`,
		d.Kind, d.Period, d.Channel, d.Generation, d.Sender, d.Recipient, d.MessageID, d.Subject, d.EMLPath,
		d.EMLBytes, d.EMLSHA256, d.ArchiveSHA, d.Attached, d.Encrypted, d.CreatedAt).Scan(&d.ID)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("record %s %s (%s): %w", d.Kind, d.Period, d.Channel, err)
	}
	d.Status, d.NextAttempt, d.UpdatedAt = StatusPending, d.CreatedAt, d.CreatedAt
	return true, nil
}

// supersede marks a message refused for good as replaced by a resend.
func supersede(ctx context.Context, pool *pgxpool.Pool, id int64) error {
	_, err := pool.Exec(ctx, `UPDATE deliveries SET status = 'superseded', updated_at = now()
		WHERE id = $1 AND status = 'failed'`, id)
	return err
}

// due returns the pending messages whose time has come, oldest first.
func due(ctx context.Context, pool *pgxpool.Pool, now time.Time) ([]Delivery, error) {
	rows, err := pool.Query(ctx, `SELECT `+deliveryColumns+` FROM deliveries
		WHERE status = 'pending' AND next_attempt <= $1 ORDER BY id`, now)
	if err != nil {
		return nil, err
	}
	return scanDeliveries(rows)
}

// recoverInterrupted puts messages a dead run left "sending" back in the
// queue. The server may have accepted one before the run died, so it may
// arrive twice, under the same Message-ID; losing it would be worse.
func recoverInterrupted(ctx context.Context, pool *pgxpool.Pool) (int64, error) {
	tag, err := pool.Exec(ctx, `UPDATE deliveries SET status = 'pending', updated_at = now(),
		last_error = 'a run ended during the send; sent again, it may arrive twice under the same Message-ID'
		WHERE status = 'sending'`)
	return tag.RowsAffected(), err
}

// markSending records an attempt before it is made, so a run that dies
// mid-send leaves a trace.
func markSending(ctx context.Context, pool *pgxpool.Pool, d *Delivery) error {
	d.Attempts++
	_, err := pool.Exec(ctx, `UPDATE deliveries SET status = 'sending', attempts = $2, updated_at = now() WHERE id = $1`,
		d.ID, d.Attempts)
	return err
}

// markSent records a delivery and drops the outbox file: the row keeps
// its size and sha256.
func markSent(ctx context.Context, pool *pgxpool.Pool, d *Delivery, as string, at time.Time) error {
	_, err := pool.Exec(ctx, `UPDATE deliveries SET status = 'sent', sent_at = $2, updated_at = $2,
		delivered_as = $3, last_error = NULL WHERE id = $1`, d.ID, at, as)
	if err != nil {
		return err
	}
	d.Status, d.SentAt, d.DeliveredAs, d.LastError = StatusSent, &at, as, ""
	if err := os.Remove(d.EMLPath); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// markFailed records a failed attempt: retried at next, or, when
// permanent, kept until resent.
func markFailed(ctx context.Context, pool *pgxpool.Pool, d *Delivery, permanent bool, why string, next time.Time) error {
	status := StatusPending
	if permanent {
		status = StatusFailed
	}
	_, err := pool.Exec(ctx, `UPDATE deliveries SET status = $2, last_error = $3, next_attempt = $4,
		attempts = $5, updated_at = now() WHERE id = $1`, d.ID, status, why, next, d.Attempts)
	d.Status, d.LastError, d.NextAttempt = status, why, next
	return err
}
