package deliver

import (
	"archive/zip"
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ispacct/ispacct/jobs/report"
	"github.com/ispacct/ispacct/mailer"
)

// archiveInfo reads an archive's size, sha256 and rows per .asc file from
// the file itself, so the summary describes exactly what is attached,
// whether this run built it or an earlier one did.
func archiveInfo(path string) (mailer.ArchiveInfo, error) {
	info := mailer.ArchiveInfo{Name: filepath.Base(path)}
	f, err := os.Open(path)
	if err != nil {
		return info, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return info, fmt.Errorf("read %q: %w", path, err)
	}
	info.Bytes, info.SHA256 = n, hex.EncodeToString(h.Sum(nil))
	zr, err := zip.NewReader(f, n)
	if err != nil {
		return info, fmt.Errorf("read %q: %w", path, err)
	}
	for _, e := range zr.File {
		if !strings.HasSuffix(e.Name, ".asc") {
			continue
		}
		rows, err := countRows(e)
		if err != nil {
			return info, fmt.Errorf("read %q: %s: %w", path, e.Name, err)
		}
		info.Files = append(info.Files, mailer.FileRows{Name: e.Name, Rows: rows})
	}
	return info, nil
}

// countRows counts the records of an .asc file: its lines less the
// header. A line break inside a field is escaped, so lines are records.
func countRows(e *zip.File) (int64, error) {
	rc, err := e.Open()
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	br := bufio.NewReaderSize(rc, 64<<10)
	var lines int64
	for {
		chunk, err := br.ReadSlice('\n')
		if len(chunk) > 0 && chunk[len(chunk)-1] == '\n' {
			lines++
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, err
		}
	}
	if lines > 0 {
		lines-- // the header
	}
	return lines, nil
}

// rejectSummary counts the rejected lines of the log files that hold rows
// of the period. Rejects have no time of their own (their line could not
// be read), so they are counted per file; a file that spans two days
// (rotation is not at midnight) counts for both.
func rejectSummary(ctx context.Context, pool *pgxpool.Pool, p report.Period) (mailer.RejectSummary, error) {
	var s mailer.RejectSummary
	rows, err := pool.Query(ctx, `WITH files AS (
			SELECT src_file FROM proxy WHERE zeit >= $1 AND zeit < $2 AND src_file IS NOT NULL
			UNION SELECT src_file FROM http WHERE zeit >= $1 AND zeit < $2 AND src_file IS NOT NULL
			UNION SELECT src_file FROM mta WHERE zeit >= $1 AND zeit < $2 AND src_file IS NOT NULL)
		SELECT i.id, i.path, i.source, i.lines, i.rejects
		FROM ingest_files i JOIN files ON files.src_file = i.id ORDER BY i.path, i.id`, p.Start, p.End)
	if err != nil {
		return s, fmt.Errorf("count rejects: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		var f mailer.RejectFile
		if err := rows.Scan(&id, &f.Path, &f.Source, &f.Lines, &f.Rejects); err != nil {
			rows.Close()
			return s, fmt.Errorf("count rejects: %w", err)
		}
		ids = append(ids, id)
		s.Files = append(s.Files, f)
	}
	if err := rows.Err(); err != nil {
		return s, fmt.Errorf("count rejects: %w", err)
	}
	if len(ids) == 0 {
		return s, nil
	}
	rows, err = pool.Query(ctx, `SELECT reason, count(*) FROM rejects WHERE file_id = ANY($1)
		GROUP BY reason ORDER BY count(*) DESC, reason LIMIT 10`, ids)
	if err != nil {
		return s, fmt.Errorf("count reject reasons: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r mailer.ReasonCount
		if err := rows.Scan(&r.Reason, &r.Count); err != nil {
			return s, fmt.Errorf("count reject reasons: %w", err)
		}
		s.Reasons = append(s.Reasons, r)
	}
	return s, rows.Err()
}
