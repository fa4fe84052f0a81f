package report_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ispacct/ispacct/jobs/report"
	"github.com/ispacct/ispacct/jobs/rollup"
	"github.com/ispacct/ispacct/schema/pgtest"
)

// soffice finds LibreOffice, or skips (fails under CI).
func soffice(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("soffice")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("LibreOffice (soffice) missing under CI: fixtures/install-test-deps.sh libreoffice installs it")
		}
		t.Skip("needs LibreOffice: fixtures/install-test-deps.sh libreoffice")
	}
	return p
}

// openInLibreOffice extracts the workbook from an archive and has
// LibreOffice convert every sheet to CSV, as a person opening it sees it.
func openInLibreOffice(t *testing.T, bin, archive, name string) map[string][][]string {
	t.Helper()
	dir := t.TempDir()
	xlsx := filepath.Join(dir, "book.xlsx")
	if err := os.WriteFile(xlsx, entry(t, archive, name), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--headless", "--norestore", "--convert-to",
		"csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1", "--outdir", filepath.Join(dir, "csv"), xlsx)
	cmd.Env = append(os.Environ(), "HOME="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("LibreOffice: %v\n%s", err, out)
	}
	sheets := map[string][][]string{}
	files, _ := filepath.Glob(filepath.Join(dir, "csv", "book-*.csv"))
	for _, f := range files {
		fh, _ := os.Open(f)
		rows, err := csv.NewReader(fh).ReadAll()
		fh.Close()
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		sheets[strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "book-"), ".csv")] = rows
	}
	if len(sheets) == 0 {
		t.Fatalf("LibreOffice wrote no sheets for %s", name)
	}
	return sheets
}

func num(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(strings.ReplaceAll(strings.TrimSuffix(s, "%"), ",", ""), 64)
	if err != nil {
		t.Fatalf("not a number: %q", s)
	}
	return v
}

// TestWorkbookInLibreOffice opens the daily and monthly workbooks in
// LibreOffice: the totals it reads from Summary equal the database's
// aggregates, and URLs that look like formulas show as text.
func TestWorkbookInLibreOffice(t *testing.T) {
	bin := soffice(t)
	dir := t.TempDir()
	extra := filepath.Join(dir, "formulas.log")
	os.WriteFile(extra, []byte(
		"1795219300.000 1 10.4.24.77 TCP_MISS/200 10 GET =1+1 - HIER_NONE/- -\n"+
			"1795219301.000 1 10.4.24.77 TCP_MISS/200 20 GET +SUM(A1:A9) - HIER_NONE/- -\n"+
			"1795219302.000 1 10.0.2.15 TCP_MISS/200 30 GET @cmd - HIER_NONE/- -\n"+
			"1795219303.000 1 10.0.2.15 TCP_HIT/200 40 GET -2+3 - HIER_NONE/- -\n"), 0o644)
	db := setup(t, "../../fixtures/squid/access.log", extra)
	ctx := context.Background()
	if _, err := rollup.Run(ctx, db.Pool, time.Time{}, time.Time{}, rollup.Options{Loc: db.Loc, Log: pgtest.Log()}); err != nil {
		t.Fatal(err)
	}
	day, _ := report.ParseDate("2026-11-21", db.Loc)
	for _, p := range []report.Period{report.Day(day, db.Loc), report.Month(day, db.Loc)} {
		t.Run(p.Kind, func(t *testing.T) {
			res, err := report.Build(ctx, db.Pool, p, report.Options{Loc: db.Loc, OutDir: dir, RawSheets: true, Log: pgtest.Log()})
			if err != nil {
				t.Fatal(err)
			}
			sheets := openInLibreOffice(t, bin, res.Path, report.WorkbookName(p))
			sum := sheets["Summary"]
			if len(sum) < 4 || sum[0][0] != "LAN" || sum[0][2] != "MiB" || sum[0][3] != "Bytes" || sum[len(sum)-1][0] != "Total" {
				t.Fatalf("Summary: %v", sum)
			}
			var req, bytes, denied int64
			db.Pool.QueryRow(ctx, `SELECT sum(requests), sum(bytes), sum(denied_requests) FROM agg_proxy_lan WHERE day >= $1 AND day < $2`,
				p.Start.Format("2006-01-02"), p.End.Format("2006-01-02")).Scan(&req, &bytes, &denied)
			total := sum[len(sum)-1]
			if int64(num(t, total[1])) != req || math.Abs(num(t, total[2])-float64(bytes)/(1<<20)) > 0.005 ||
				int64(num(t, total[3])) != bytes || int64(num(t, total[6])) != denied {
				t.Fatalf("Summary total %v; database: %d requests, %d bytes, %d denied", total, req, bytes, denied)
			}
			if !strings.HasSuffix(total[4], "%") || num(t, total[4]) != 100 {
				t.Errorf("share of the total: %q, want a percentage of 100", total[4])
			}
			// The total stands apart, a blank row above it.
			if blank := sum[len(sum)-2]; strings.Join(blank, "") != "" {
				t.Errorf("row above the total: %v, want a blank one", blank)
			}
			// Every LAN row equals its aggregate, the unassigned one included.
			for _, row := range sum[1 : len(sum)-2] {
				var r, b int64
				lan := row[0]
				err := db.Pool.QueryRow(ctx, `SELECT sum(requests), sum(bytes) FROM agg_proxy_lan WHERE day >= $1 AND day < $2
					AND coalesce(lan_name, 'unassigned') = $3`, p.Start.Format("2006-01-02"), p.End.Format("2006-01-02"), lan).Scan(&r, &b)
				if err != nil || int64(num(t, row[1])) != r || math.Abs(num(t, row[2])-float64(b)/(1<<20)) > 0.005 || int64(num(t, row[3])) != b {
					t.Errorf("Summary row %v; database %d requests, %d bytes (%v)", row, r, b, err)
				}
			}
			// URLs that start like formulas are text, shown as they are.
			urls := map[string]bool{}
			for _, row := range sheets["proxy"][1:] {
				urls[row[2]] = true
			}
			for _, u := range []string{"=1+1", "+SUM(A1:A9)", "@cmd", "-2+3", "http://example.com/=cmd|calc"} {
				if !urls[u] {
					t.Errorf("URL %q not shown as text in the proxy sheet", u)
				}
			}
			if p.Kind == "month" {
				daily := sheets["Daily"]
				if len(daily) != 31 || daily[0][0] != "Day" || daily[21][0] != "2026-11-21" {
					t.Errorf("Daily sheet: %d rows, %v", len(daily), daily[:min(3, len(daily))])
				}
			}
			for _, s := range []string{"Top sites", "Web", "Web users", "Mailboxes", "Mail domains", "http", "mail"} {
				if _, ok := sheets[s]; !ok {
					t.Errorf("sheet %q missing (have %v)", s, keys(sheets))
				}
			}
		})
	}
}

func keys(m map[string][][]string) string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return fmt.Sprint(ks)
}
