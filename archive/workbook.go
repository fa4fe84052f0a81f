package archive

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// Kind says how a column's values are typed and shown in the workbook.
type Kind int

// The kinds of column.
const (
	Text    Kind = iota // a string, always text, never a formula
	Count               // an integer with thousands separators
	MiB                 // a number of mebibytes (1 MiB = 1,048,576 bytes), two decimals
	Percent             // a share 0..1 shown as a percentage
	Date                // a day
	Time                // a date and time of day
)

// Column is one column of a sheet.
type Column struct {
	Title string
	Width float64
	Kind  Kind
}

// ChartSpec asks for a chart beside a sheet's table: one series per value
// column, over the first Rows data rows, categories from column Cat.
type ChartSpec struct {
	Type   excelize.ChartType
	Title  string
	Cat    int
	Values []int
	Rows   int
}

// MaxSheetRows is how many data rows fit on a sheet under its header:
// Excel's limit is 1,048,576 rows in all.
const MaxSheetRows = excelize.TotalRows - 1

// Workbook writes an XLSX workbook sheet by sheet, streaming rows, with
// typed cells, a frozen header row with a filter, each sheet's true used
// range in its dimension (readers such as openpyxl's read-only mode trust
// it), and fixed document properties, so that the same data gives the
// same bytes.
type Workbook struct {
	f       *excelize.File
	title   string
	loc     *time.Location
	stamp   time.Time
	tmpDir  string
	styles  map[Kind]int
	bold    map[Kind]int // the same, bold: the total row
	header  int          // header cells: bold on a tint, left for text
	numHead int          // ... and right-aligned over numbers
	sheets  int
	maxRows int                // MaxSheetRows, lowered in tests
	replace map[string]spooled // raw sheets' parts, written ahead
}

// NewWorkbook starts a workbook whose document dates are stamp (the
// period's start), with times shown in loc.
func NewWorkbook(title string, stamp time.Time, loc *time.Location, tmpDir string) (*Workbook, error) {
	f := excelize.NewFile(excelize.Options{TmpDir: tmpDir})
	w := &Workbook{f: f, title: title, loc: loc, stamp: stamp, tmpDir: tmpDir, styles: map[Kind]int{}, bold: map[Kind]int{}, maxRows: MaxSheetRows, replace: map[string]spooled{}}
	when := stamp.UTC().Format("2006-01-02T15:04:05Z")
	if err := f.SetDocProps(&excelize.DocProperties{Title: title, Creator: "ispacct", Created: when, Modified: when}); err != nil {
		return nil, err
	}
	numFmt := func(s string) *string { return &s }
	kinds := []struct {
		k Kind
		s excelize.Style
	}{
		{Text, excelize.Style{}},
		{Count, excelize.Style{NumFmt: 3}}, // #,##0
		{MiB, excelize.Style{NumFmt: 4}},   // #,##0.00
		{Percent, excelize.Style{CustomNumFmt: numFmt("0.0%")}},
		{Date, excelize.Style{CustomNumFmt: numFmt("yyyy-mm-dd")}},
		{Time, excelize.Style{CustomNumFmt: numFmt("yyyy-mm-dd hh:mm:ss")}},
	}
	// In a fixed order, so that style ids are the same on every run.
	for _, st := range kinds {
		id, err := f.NewStyle(&st.s)
		if err != nil {
			return nil, err
		}
		w.styles[st.k] = id
	}
	// The body's font, named: a font without a name is a serif in some
	// readers (LibreOffice).
	font, err := f.GetDefaultFont()
	if err != nil {
		return nil, err
	}
	for _, st := range kinds {
		st.s.Font = &excelize.Font{Bold: true, Family: font, Size: 11}
		id, err := f.NewStyle(&st.s)
		if err != nil {
			return nil, err
		}
		w.bold[st.k] = id
	}
	head := excelize.Style{Font: &excelize.Font{Bold: true, Family: font, Size: 11}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}}
	if w.header, err = f.NewStyle(&head); err != nil {
		return nil, err
	}
	head.Alignment = &excelize.Alignment{Horizontal: "right"}
	if w.numHead, err = f.NewStyle(&head); err != nil {
		return nil, err
	}
	return w, nil
}

// newSheet adds a sheet (the first replaces the default one).
func (w *Workbook) newSheet(name string) error {
	w.sheets++
	if w.sheets == 1 {
		return w.f.SetSheetName("Sheet1", name)
	}
	_, err := w.f.NewSheet(name)
	return err
}

// sheetWriter streams one sheet's rows.
type sheetWriter struct {
	w     *Workbook
	name  string
	sw    *excelize.StreamWriter
	cols  []Column
	row   int // the last row written, header included
	table int // the last row of the filterable table
	buf   []any
}

// open starts a sheet of rows rows in all, the header included: its
// dimension, written first, says so.
func (w *Workbook) open(name string, cols []Column, chart *ChartSpec, rows int) (*sheetWriter, error) {
	if err := w.newSheet(name); err != nil {
		return nil, fmt.Errorf("sheet %q: %w", name, err)
	}
	if err := w.f.SetSheetDimension(name, usedRange(len(cols), rows)); err != nil {
		return nil, fmt.Errorf("sheet %q: %w", name, err)
	}
	// Page set-up is in the sheet's first element, written when the
	// stream starts.
	fit := true
	if err := w.f.SetSheetProps(name, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
		return nil, fmt.Errorf("sheet %q: %w", name, err)
	}
	// A chart must be in place before the sheet is streamed.
	if chart != nil && chart.Rows > 0 {
		if err := w.f.AddChart(name, cellName(len(cols)+2, 2), chart.excelize(name, cols)); err != nil {
			return nil, fmt.Errorf("chart on %q: %w", name, err)
		}
	}
	sw, err := w.f.NewStreamWriter(name)
	if err != nil {
		return nil, fmt.Errorf("sheet %q: %w", name, err)
	}
	for i, c := range cols {
		if err := sw.SetColWidth(i+1, i+1, c.Width); err != nil {
			return nil, err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return nil, err
	}
	if err := w.printSetup(name); err != nil {
		return nil, fmt.Errorf("sheet %q: %w", name, err)
	}
	s := &sheetWriter{w: w, name: name, sw: sw, cols: cols, buf: make([]any, len(cols))}
	head := make([]any, len(cols))
	for i, c := range cols {
		head[i] = excelize.Cell{StyleID: w.headStyle(c.Kind), Value: c.Title}
	}
	if err := sw.SetRow("A1", head); err != nil {
		return nil, err
	}
	s.row = 1
	return s, nil
}

// headStyle is the style of a column's title: numbers are right-aligned,
// and so are their titles.
func (w *Workbook) headStyle(k Kind) int {
	if k == Text {
		return w.header
	}
	return w.numHead
}

// printSetup makes a sheet print the way a report is read: landscape, one
// page wide however long, the header row on every page, the workbook's
// title and the sheet's name above and page numbers below.
func (w *Workbook) printSetup(sheet string) error {
	landscape, wide, tall := "landscape", 1, 0
	if err := w.f.SetPageLayout(sheet, &excelize.PageLayoutOptions{Orientation: &landscape, FitToWidth: &wide, FitToHeight: &tall}); err != nil {
		return err
	}
	if err := w.f.SetHeaderFooter(sheet, &excelize.HeaderFooterOptions{OddHeader: pageHeader(w.title), OddFooter: pageFooter}); err != nil {
		return err
	}
	return w.printTitles(sheet)
}

// printTitles repeats sheet's header row on every printed page.
func (w *Workbook) printTitles(sheet string) error {
	return w.f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", RefersTo: "'" + sheet + "'!$1:$1", Scope: sheet})
}

// pageFooter numbers the printed pages.
const pageFooter = "&CPage &P of &N"

// pageHeader puts title at the left of a printed page and the sheet's
// name at the right; & starts a code there, so title's are doubled.
func pageHeader(title string) string { return "&L" + strings.ReplaceAll(title, "&", "&&") + "&R&A" }

// usedRange is the reference of a sheet's cells: cols columns, rows rows.
func usedRange(cols, rows int) string { return "A1:" + cellName(cols, max(rows, 1)) }

// add writes one row; values follow the columns' kinds: string for Text,
// int64 for Count, float64 for MiB and Percent, time.Time for Date and Time.
func (s *sheetWriter) add(values []any) error { return s.put(s.row+1, values, s.w.styles) }

// put writes row r in the given styles.
func (s *sheetWriter) put(r int, values []any, styles map[Kind]int) error {
	for i, v := range values {
		c := s.cols[i]
		switch c.Kind {
		case Date, Time:
			if t, ok := v.(time.Time); ok {
				// Excel times have no zone: show the local wall clock.
				l := t.In(s.w.loc)
				v = time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), l.Nanosecond(), time.UTC)
			}
		}
		s.buf[i] = excelize.Cell{StyleID: styles[c.Kind], Value: v}
	}
	s.row = r
	return s.sw.SetRow(cellName(1, s.row), s.buf)
}

// close adds the filterable table over the header and the rows, the total
// left out, and ends the sheet.
func (s *sheetWriter) close() error {
	if s.table >= 2 {
		show := false
		err := s.sw.AddTable(&excelize.Table{
			Range:          "A1:" + cellName(len(s.cols), s.table),
			Name:           tableName(s.name),
			StyleName:      "TableStyleLight9",
			ShowRowStripes: &show,
		})
		if err != nil {
			return fmt.Errorf("table on %q: %w", s.name, err)
		}
	}
	return s.sw.Flush()
}

// Sheet writes a whole sheet from rows already in memory (aggregates),
// with an optional total row and chart. The total stands in bold below the
// table, a blank row between, so that sorting or filtering the table never
// moves it among the rows it adds up.
func (w *Workbook) Sheet(name string, cols []Column, rows [][]any, total []any, chart *ChartSpec) error {
	n := 1 + len(rows)
	if total != nil {
		n += 2
	}
	s, err := w.open(name, cols, chart, n)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if err := s.add(r); err != nil {
			return fmt.Errorf("sheet %q: %w", name, err)
		}
	}
	s.table = s.row
	if total != nil {
		if err := s.put(s.row+2, total, w.bold); err != nil {
			return fmt.Errorf("sheet %q: %w", name, err)
		}
	}
	return s.close()
}

// RawSheet streams rows of any number: past Excel's row limit it goes on
// in "name (2)", "name (3)" … and never cuts a row. Its sheets are written
// by rawPart, in constant memory, into spooled parts of their own: a raw
// sheet does not touch the workbook until Attach, so it may be written
// while other sheets are being added, and it takes its place after them.
type RawSheet struct {
	w     *Workbook
	name  string
	cols  []Column
	heads []int
	cur   *rawPart
	done  []rawDone
	parts int
}

// rawDone is a finished sheet of a raw sheet, waiting for Attach.
type rawDone struct {
	sheet, ref string
	sp         spooled
}

// Raw starts a raw sheet. The sheet exists even with no rows.
func (w *Workbook) Raw(name string, cols []Column) (*RawSheet, error) {
	r := &RawSheet{w: w, name: name, cols: cols, heads: make([]int, len(cols))}
	for i, c := range cols {
		r.heads[i] = w.headStyle(c.Kind)
	}
	return r, r.next()
}

func (r *RawSheet) next() error {
	if err := r.finish(); err != nil {
		return err
	}
	r.parts++
	var err error
	// Named on Attach, when the sheet's number is known.
	r.cur, err = newRawPart(r.w.tmpDir, "", r.w.title, r.cols, r.w.styles, r.heads, r.w.loc)
	return err
}

// sheetName is the name of the raw sheet's n-th sheet, from 1.
func (r *RawSheet) sheetName(n int) string {
	if n == 1 {
		return r.name
	}
	return fmt.Sprintf("%s (%d)", r.name, n)
}

// finish ends the current sheet's part.
func (r *RawSheet) finish() error {
	if r.cur == nil {
		return nil
	}
	name := r.sheetName(len(r.done) + 1)
	sp, ref, err := r.cur.finish()
	r.cur = nil
	r.done = append(r.done, rawDone{sheet: name, ref: ref, sp: sp})
	if err != nil {
		return fmt.Errorf("sheet %q: %w", name, err)
	}
	return nil
}

// AddFields writes one row of raw fields, one per column; past the row
// limit it goes on in the next sheet.
func (r *RawSheet) AddFields(fields []Field) error {
	if r.cur.rows-1 >= r.w.maxRows {
		if err := r.next(); err != nil {
			return err
		}
	}
	return r.cur.row(fields, nil)
}

// End ends the last sheet; the rows are complete, the sheets not yet in
// the workbook.
func (r *RawSheet) End() error { return r.finish() }

// Attach adds the ended raw sheet's sheets to the workbook, after those
// it has: each a sheet of the library's (empty, replaced on Save by its
// part), with the header row repeated on printed pages and the filter.
func (w *Workbook) Attach(r *RawSheet) error {
	for _, d := range r.done {
		if err := w.newSheet(d.sheet); err != nil {
			return fmt.Errorf("sheet %q: %w", d.sheet, err)
		}
		for id, n := range w.f.GetSheetMap() {
			if n == d.sheet {
				d.sp.name = fmt.Sprintf("xl/worksheets/sheet%d.xml", id)
			}
		}
		w.replace[d.sp.name] = d.sp
		if err := w.printTitles(d.sheet); err != nil {
			return err
		}
		if err := w.f.AutoFilter(d.sheet, d.ref, nil); err != nil {
			return err
		}
	}
	r.done = nil
	return nil
}

// Close ends the raw sheet and attaches it.
func (r *RawSheet) Close() error {
	if err := r.End(); err != nil {
		return err
	}
	return r.w.Attach(r)
}

// Discard removes the spooled parts of a raw sheet that will not be
// attached (a build that failed).
func (r *RawSheet) Discard() {
	if r.cur != nil {
		r.cur.e.f.Close()
		os.Remove(r.cur.e.path)
		r.cur = nil
	}
	for _, d := range r.done {
		os.Remove(d.sp.path)
	}
	r.done = nil
}

// Sheets is how many sheets the rows took.
func (r *RawSheet) Sheets() int { return r.parts }

// Save writes the workbook to out and releases its temporary files.
func (w *Workbook) Save(out io.Writer) error {
	defer w.f.Close()
	w.f.SetActiveSheet(0)
	w.f.ZipWriter = func(io.Writer) excelize.ZipWriter { return newSpoolZip(out, w.tmpDir, w.stamp, w.replace) }
	// The library's own buffer stays empty: the spool zip writes to out.
	if err := w.f.Write(io.Discard); err != nil {
		return fmt.Errorf("write workbook: %w", err)
	}
	return nil
}

func (c *ChartSpec) excelize(sheet string, cols []Column) *excelize.Chart {
	ref := func(col, from, to int) string {
		return fmt.Sprintf("'%s'!$%s$%d:$%s$%d", sheet, colName(col), from, colName(col), to)
	}
	// Axis labels in a dark grey: the library's default is too pale to
	// read, in print above all. One colour a series, not one a bar.
	label := excelize.Font{Color: "404040", Size: 9}
	vary := false
	ch := &excelize.Chart{
		Type:       c.Type,
		Title:      excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: c.Title}}},
		Dimension:  excelize.ChartDimension{Width: 720, Height: 400},
		Legend:     excelize.ChartLegend{Position: "bottom"},
		VaryColors: &vary,
		XAxis:      excelize.ChartAxis{Font: label},
		YAxis:      excelize.ChartAxis{Font: label, MajorGridLines: true},
	}
	if len(c.Values) == 1 {
		ch.Legend.Position = "none"
	}
	for _, v := range c.Values {
		ch.Series = append(ch.Series, excelize.ChartSeries{
			Name:       fmt.Sprintf("'%s'!$%s$1", sheet, colName(v)),
			Categories: ref(c.Cat, 2, c.Rows+1),
			Values:     ref(v, 2, c.Rows+1),
		})
	}
	return ch
}

func colName(i int) string {
	n, _ := excelize.ColumnNumberToName(i + 1)
	return n
}

func cellName(col, row int) string {
	n, _ := excelize.CoordinatesToCellName(col, row)
	return n
}

// tableName makes a valid, unique table name from a sheet name.
func tableName(sheet string) string {
	var b strings.Builder
	b.WriteString("t_")
	for _, r := range sheet {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}
