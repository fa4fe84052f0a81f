package archive

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

func buildTestWorkbook(t *testing.T, maxRows int) []byte {
	t.Helper()
	loc, _ := time.LoadLocation("Europe/Berlin")
	stamp := time.Date(2026, 11, 21, 0, 0, 0, 0, loc)
	w, err := NewWorkbook("test &co", stamp, loc, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	w.maxRows = maxRows
	cols := []Column{{"LAN", 16, Text}, {"Requests", 12, Count}, {"MB", 12, MB}, {"Share", 10, Percent}}
	rows := [][]any{{"mueller", int64(10), 1.5, 0.75}, {"=1+1", int64(5), 0.5, 0.25}}
	if err := w.Sheet("Summary", cols, rows, &ChartSpec{Type: excelize.Bar, Title: "MB per LAN", Cat: 0, Values: []int{2}, Rows: 2}); err != nil {
		t.Fatal(err)
	}
	raw, err := w.Raw("proxy", []Column{{"url", 40, Text}, {"zeit", 20, Time}, {"size", 12, Count}})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 8; i++ {
		if err := raw.Add(fmt.Sprintf("@url%d", i), stamp.Add(time.Duration(i)*time.Hour), int64(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := raw.Close(); err != nil {
		t.Fatal(err)
	}
	if raw.Sheets() != 3 {
		t.Fatalf("8 rows at 3 a sheet took %d sheets", raw.Sheets())
	}
	// A second raw sheet makes several streamed sheets, whose order the
	// library leaves to chance.
	m, _ := w.Raw("mail", []Column{{"msgid", 20, Text}})
	m.Add("-x")
	m.Close()
	var buf bytes.Buffer
	if err := w.Save(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestWorkbook(t *testing.T) {
	a := buildTestWorkbook(t, 3)
	for i := 0; i < 5; i++ {
		if b := buildTestWorkbook(t, 3); !bytes.Equal(a, b) {
			t.Fatalf("build %d differs from the first", i+2)
		}
	}
	f, err := excelize.OpenReader(bytes.NewReader(a))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := fmt.Sprint(f.GetSheetList()); got != "[Summary proxy proxy (2) proxy (3) mail]" {
		t.Fatalf("sheets %s", got)
	}
	// Text that looks like a formula stays text.
	if v, _ := f.GetCellValue("Summary", "A3"); v != "=1+1" {
		t.Fatalf("A3 = %q", v)
	}
	if fm, _ := f.GetCellFormula("Summary", "A3"); fm != "" {
		t.Fatalf("A3 became a formula %q", fm)
	}
	// Numbers are numbers, times are dates in local wall-clock time.
	if typ, _ := f.GetCellType("Summary", "B2"); typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset {
		t.Fatalf("B2 type %v", typ)
	}
	if v, _ := f.GetCellValue("proxy (2)", "B2"); v != "2026-11-21 03:00:00" {
		t.Fatalf("proxy (2)!B2 = %q, want the 4th row's local time", v)
	}
	total := 0
	for _, s := range []string{"proxy", "proxy (2)", "proxy (3)"} {
		rows, _ := f.GetRows(s)
		total += len(rows) - 1
	}
	if total != 8 {
		t.Fatalf("raw rows add up to %d, want 8", total)
	}
	// Titles of number columns are right-aligned over their numbers, on
	// streamed and raw sheets alike.
	for _, c := range []struct {
		sheet, cell string
		right       bool
	}{{"Summary", "A1", false}, {"Summary", "B1", true}, {"proxy", "A1", false}, {"proxy (2)", "B1", true}} {
		id, err := f.GetCellStyle(c.sheet, c.cell)
		if err != nil {
			t.Fatal(err)
		}
		st, err := f.GetStyle(id)
		if err != nil || st.Font == nil || !st.Font.Bold || (st.Alignment != nil && st.Alignment.Horizontal == "right") != c.right {
			t.Errorf("%s!%s: header style %+v %v, want right-aligned %v", c.sheet, c.cell, st, err, c.right)
		}
	}
	// Every sheet prints landscape, one page wide, its header row on each
	// page, with the title and sheet name above and page numbers below.
	titles := map[string]string{}
	for _, dn := range f.GetDefinedName() {
		if dn.Name == "_xlnm.Print_Titles" {
			titles[dn.Scope] = dn.RefersTo
		}
	}
	for _, s := range f.GetSheetList() {
		pl, err := f.GetPageLayout(s)
		if err != nil || pl.Orientation == nil || *pl.Orientation != "landscape" || pl.FitToWidth == nil || *pl.FitToWidth != 1 ||
			pl.FitToHeight == nil || *pl.FitToHeight != 0 {
			t.Errorf("%s: page layout %+v %v", s, pl, err)
		}
		if sp, err := f.GetSheetProps(s); err != nil || sp.FitToPage == nil || !*sp.FitToPage {
			t.Errorf("%s: fit to page not set (%v)", s, err)
		}
		if hf, err := f.GetHeaderFooter(s); err != nil || hf.OddHeader != "&Ltest &&co&R&A" || hf.OddFooter != "&CPage &P of &N" {
			t.Errorf("%s: header and footer %+v %v", s, hf, err)
		}
		if want := "'" + s + "'!$1:$1"; titles[s] != want {
			t.Errorf("%s: print titles %q, want %q", s, titles[s], want)
		}
	}
}
