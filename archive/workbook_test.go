package archive

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"hash/crc32"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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
	cols := []Column{{"LAN", 16, Text}, {"Requests", 12, Count}, {"MiB", 12, MiB}, {"Share", 10, Percent}}
	rows := [][]any{{"mueller", int64(10), 1.5, 0.75}, {"=1+1", int64(5), 0.5, 0.25}}
	total := []any{"Total", int64(15), 2.0, 1.0}
	if err := w.Sheet("Summary", cols, rows, total, &ChartSpec{Type: excelize.Bar, Title: "MiB per LAN", Cat: 0, Values: []int{2}, Rows: 2}); err != nil {
		t.Fatal(err)
	}
	raw, err := w.Raw("proxy", []Column{{"url", 40, Text}, {"zeit", 20, Time}, {"size", 12, Count}})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 8; i++ {
		if err := raw.AddFields([]Field{{Kind: TextField, B: fmt.Appendf(nil, "@url%d", i)},
			{Kind: TimeField, I: stamp.Add(time.Duration(i) * time.Hour).UnixMicro()}, {Kind: IntField, I: int64(i)}}); err != nil {
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
	m.AddFields([]Field{{Kind: TextField, B: []byte("-x")}})
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

// TestWorkbookTotalOutsideTable: the total row stands below the table, a
// blank row between, in bold, so that the table's filter and sort leave
// it where it is.
func TestWorkbookTotalOutsideTable(t *testing.T) {
	f, err := excelize.OpenReader(bytes.NewReader(buildTestWorkbook(t, 3)))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tables, err := f.GetTables("Summary")
	if err != nil || len(tables) != 1 || tables[0].Range != "A1:D3" {
		t.Fatalf("Summary tables %+v, %v; want one over A1:D3", tables, err)
	}
	for cell, want := range map[string]string{"A3": "=1+1", "A4": "", "A5": "Total", "B5": "15"} {
		if v, _ := f.GetCellValue("Summary", cell); v != want {
			t.Errorf("Summary!%s = %q, want %q", cell, v, want)
		}
	}
	for _, cell := range []string{"A5", "C5"} {
		id, _ := f.GetCellStyle("Summary", cell)
		if st, err := f.GetStyle(id); err != nil || st.Font == nil || !st.Font.Bold {
			t.Errorf("Summary!%s: style %+v %v, want bold", cell, st, err)
		}
	}
	if id, _ := f.GetCellStyle("Summary", "C5"); id == 0 {
		t.Error("Summary!C5: the total's MiB has no number format")
	} else if st, _ := f.GetStyle(id); st.NumFmt != 4 {
		t.Errorf("Summary!C5: number format %d, want 4 (#,##0.00)", st.NumFmt)
	}
}

// sheetXML is what TestWorkbookDimensions reads of a worksheet part.
type sheetXML struct {
	Dimension struct {
		Ref string `xml:"ref,attr"`
	} `xml:"dimension"`
	Rows []struct {
		R     int        `xml:"r,attr"`
		Cells []struct{} `xml:"c"`
	} `xml:"sheetData>row"`
}

// TestWorkbookDimensions: every sheet's dimension is its used range, rows
// by columns, on streamed and raw sheets alike: readers that trust it
// (openpyxl in read-only mode) see every cell.
func TestWorkbookDimensions(t *testing.T) {
	got := dimensions(t, buildTestWorkbook(t, 3))
	// Summary: header, 2 rows, a blank one, the total; proxy: 8 rows at 3
	// a sheet; mail: 1 row.
	want := map[string]string{"sheet1.xml": "A1:D5", "sheet2.xml": "A1:C4", "sheet3.xml": "A1:C4", "sheet4.xml": "A1:C3", "sheet5.xml": "A1:A2"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("dimensions %v, want %v", got, want)
	}
}

// dimensions reads each worksheet's dimension from an XLSX, checked
// against the rows and cells the part holds.
func dimensions(t *testing.T, xlsx []byte) map[string]string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(xlsx), int64(len(xlsx)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range zr.File {
		name, ok := strings.CutPrefix(e.Name, "xl/worksheets/")
		if !ok || strings.Contains(name, "/") {
			continue
		}
		r, err := e.Open()
		if err != nil {
			t.Fatal(err)
		}
		var ws sheetXML
		err = xml.NewDecoder(r).Decode(&ws)
		r.Close()
		if err != nil {
			t.Fatalf("%s: %v", e.Name, err)
		}
		rows, cols := 0, 0
		for _, row := range ws.Rows {
			rows, cols = max(rows, row.R), max(cols, len(row.Cells))
		}
		if used := "A1:" + cellName(cols, rows); ws.Dimension.Ref != used {
			t.Errorf("%s: dimension %q, but its cells span %s", e.Name, ws.Dimension.Ref, used)
		}
		out[name] = ws.Dimension.Ref
	}
	return out
}

// TestWorkbookInOpenpyxl: openpyxl in read-only mode sizes each sheet by
// its dimension alone; it sees every row and column.
func TestWorkbookInOpenpyxl(t *testing.T) {
	// Debian's python3-openpyxl is for Debian's python3, which another on
	// PATH (a pyenv, say) may hide.
	python := ""
	for _, p := range []string{"python3", "/usr/bin/python3"} {
		if exec.Command(p, "-c", "import openpyxl").Run() == nil {
			python = p
			break
		}
	}
	if python == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI needs python3-openpyxl (fixtures/install-test-deps.sh openpyxl)")
		}
		t.Skip("needs python3 with openpyxl (fixtures/install-test-deps.sh openpyxl)")
	}
	path := filepath.Join(t.TempDir(), "test.xlsx")
	if err := os.WriteFile(path, buildTestWorkbook(t, 3), 0o644); err != nil {
		t.Fatal(err)
	}
	const script = `
import sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1], read_only=True)
for ws in wb.worksheets:
    print(f"{ws.title}: {ws.max_row}x{ws.max_column}, {sum(1 for r in ws.iter_rows() if any(c.value is not None for c in r))} filled")
`
	out, err := exec.Command(python, "-c", script, path).CombinedOutput()
	if err != nil {
		t.Fatalf("openpyxl: %v\n%s", err, out)
	}
	want := "Summary: 5x4, 4 filled\nproxy: 4x3, 4 filled\nproxy (2): 4x3, 4 filled\nproxy (3): 3x3, 3 filled\nmail: 2x1, 2 filled\n"
	if string(out) != want {
		t.Fatalf("openpyxl read:\n%s\nwant:\n%s", out, want)
	}
}

// TestCRC32Combine: the CRC of two parts joined, from theirs, is the CRC
// of the whole.
func TestCRC32Combine(t *testing.T) {
	data := make([]byte, 3000)
	for i := range data {
		data[i] = byte(i*7 + i/13)
	}
	for _, cut := range []int{0, 1, 7, 8, 255, 1024, 2999, 3000} {
		a, b := data[:cut], data[cut:]
		if got, want := crc32Combine(crc32.ChecksumIEEE(a), crc32.ChecksumIEEE(b), uint64(len(b))), crc32.ChecksumIEEE(data); got != want {
			t.Errorf("cut at %d: %08x, want %08x", cut, got, want)
		}
	}
}
