package archive

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"
)

// rawPart writes a worksheet's XML by hand, row by row, straight into a
// compressed spool file. The workbook library keeps a buffer of up to
// 16 MiB per streamed sheet until the whole workbook is written, so raw
// sheets of millions of rows through it would make memory grow with the
// number of rows; written here, it does not. The library still makes the
// sheet (an empty one, replaced on save), so the workbook's structure,
// styles and names stay its business.
//
// The sheet's dimension, its used range, comes before the rows, and the
// rows are only counted at the end: the part's start is compressed last,
// on its own, and put in front of the rows (prependDeflate).
type rawPart struct {
	e     *spoolEntry
	w     *bufio.Writer
	cols  []Column
	sty   []int // each column's style, by its kind
	loc   *time.Location
	rows  int
	line  []byte
	title string // the workbook's, for the page header
}

func newRawPart(dir, path, title string, cols []Column, sty map[Kind]int, heads []int, loc *time.Location) (*rawPart, error) {
	e, w, err := newSpoolEntry(dir, path)
	if err != nil {
		return nil, err
	}
	p := &rawPart{e: e, w: bufio.NewWriterSize(w, 64<<10), cols: cols, sty: make([]int, len(cols)), loc: loc, title: title}
	for i, c := range cols {
		p.sty[i] = sty[c.Kind]
	}
	p.w.WriteString(`<sheetData>`)
	head := make([]Field, len(cols))
	for i, c := range cols {
		head[i] = Field{Kind: TextField, B: []byte(c.Title)}
	}
	return p, p.row(head, heads)
}

// row writes a row of raw fields, one per column: a NULL or empty text is
// an empty cell, an address is text, a time is an Excel date in the
// workbook's zone. styles, when given, are its cells' (the header's),
// else each column's kind sets the style.
func (p *rawPart) row(fs []Field, styles []int) error {
	p.rows++
	b := append(p.line[:0], `<row r="`...)
	b = strconv.AppendInt(b, int64(p.rows), 10)
	b = append(b, `">`...)
	for i := range fs {
		f, style := &fs[i], p.sty[i]
		if styles != nil {
			style = styles[i]
		}
		switch f.Kind {
		case Null:
			b = append(b, `<c/>`...)
		case TextField:
			if len(f.B) == 0 {
				b = append(b, `<c/>`...)
			} else {
				b = appendTextCell(b, f.B, style)
			}
		case AddrField:
			var a [64]byte
			b = appendTextCell(b, f.A.Addr().AppendTo(a[:0]), style)
		case IntField, TimeField:
			b = append(b, `<c s="`...)
			b = strconv.AppendInt(b, int64(style), 10)
			b = append(b, `"><v>`...)
			if f.Kind == IntField {
				b = strconv.AppendInt(b, f.I, 10)
			} else {
				b = strconv.AppendFloat(b, excelSerial(f.Time(), p.loc), 'f', -1, 64)
			}
			b = append(b, `</v></c>`...)
		}
	}
	b = append(b, `</row>`...)
	p.line = b
	_, err := p.w.Write(b)
	return err
}

// appendTextCell appends an inline string cell. A raw sheet holds
// millions of them, so they are written short: no style when it is the
// default one, and xml:space="preserve" only where a reader would
// otherwise trim the text (leading or trailing white space), as openpyxl
// writes it.
func appendTextCell(b, text []byte, style int) []byte {
	b = append(b, `<c`...)
	if style != 0 {
		b = append(b, ` s="`...)
		b = strconv.AppendInt(b, int64(style), 10)
		b = append(b, '"')
	}
	b = append(b, ` t="inlineStr"><is><t`...)
	if len(text) > 0 && (isXMLSpace(text[0]) || isXMLSpace(text[len(text)-1])) {
		b = append(b, ` xml:space="preserve"`...)
	}
	b = append(b, '>')
	b = appendXMLText(b, text)
	return append(b, `</t></is></c>`...)
}

func isXMLSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// excelSerial is t's local wall-clock time as an Excel date: days since
// 1899-12-30 (the 1900 date system). The wall clock is the instant moved
// by the zone's offset then.
func excelSerial(t time.Time, loc *time.Location) float64 {
	_, off := t.In(loc).Zone()
	return float64(t.UnixMicro()+int64(off)*1e6)/(86400*1e6) + 25569
}

// appendXMLText escapes s for an XML text node the way OOXML wants it:
// &, <, > as entities; characters XML 1.0 forbids (most C0 controls) as
// _xHHHH_; and a literal "_xHHHH_" in the text by escaping its "_", so a
// reader does not decode it.
func appendXMLText(b []byte, s []byte) []byte {
	for i := 0; i < len(s); {
		// Most text is plain: copied a run at a time.
		j := i
		for j < len(s) && xmlPlain[s[j]] {
			j++
		}
		b = append(b, s[i:j]...)
		if i = j; i == len(s) {
			break
		}
		c := s[i]
		switch {
		case c == '&':
			b = append(b, "&amp;"...)
		case c == '<':
			b = append(b, "&lt;"...)
		case c == '>':
			b = append(b, "&gt;"...)
		case c < 0x20 && c != '\t' && c != '\n' && c != '\r':
			b = fmt.Appendf(b, "_x%04X_", c)
		case c == '_' && looksEscaped(s[i:]):
			b = append(b, "_x005F_"...)
		case c >= utf8.RuneSelf:
			r, n := utf8.DecodeRune(s[i:])
			if r == 0xFFFE || r == 0xFFFF || r == utf8.RuneError && n == 1 {
				b = fmt.Appendf(b, "_x%04X_", r)
			} else {
				b = append(b, s[i:i+n]...)
			}
			i += n
			continue
		default:
			b = append(b, c)
		}
		i++
	}
	return b
}

// xmlPlain are the bytes appendXMLText copies as they are: printable ASCII
// but & < > and _, and tab, newline and carriage return.
var xmlPlain = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = c != '&' && c != '<' && c != '>' && c != '_'
	}
	t['\t'], t['\n'], t['\r'] = true, true, true
	return t
}()

// looksEscaped reports whether s starts with "_xHHHH_".
func looksEscaped(s []byte) bool {
	if len(s) < 7 || s[1] != 'x' || s[6] != '_' {
		return false
	}
	for _, c := range s[2:6] {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// start is the part up to its rows, with the dimension of rows rows.
func (p *rawPart) start(rows int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`+"\n"+
		`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">`+
		`<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr><dimension ref="%s"/>`+
		`<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>`+
		`<sheetFormatPr defaultRowHeight="15"/><cols>`, usedRange(len(p.cols), rows))
	for i, c := range p.cols {
		fmt.Fprintf(&b, `<col min="%d" max="%d" width="%g" customWidth="1"/>`, i+1, i+1, c.Width)
	}
	b.WriteString(`</cols>`)
	return b.Bytes()
}

// finish closes the sheet with a filter over its rows and spools it.
func (p *rawPart) finish() (spooled, string, error) {
	ref := "A1:" + cellName(len(p.cols), max(p.rows, 2))
	// Printed like the other sheets (Workbook.printSetup), but for the
	// repeated header row, which is a workbook name the library writes.
	fmt.Fprintf(p.w, `</sheetData><autoFilter ref="%s"/>`+
		`<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>`+
		`<pageSetup orientation="landscape" fitToWidth="1" fitToHeight="0"/>`+
		`<headerFooter><oddHeader>%s</oddHeader><oddFooter>%s</oddFooter></headerFooter></worksheet>`,
		ref, appendXMLText(nil, []byte(pageHeader(p.title))), appendXMLText(nil, []byte(pageFooter)))
	if err := p.w.Flush(); err != nil {
		return spooled{}, "", err
	}
	sp, err := p.e.close()
	if err != nil {
		return sp, ref, err
	}
	sp, err = prependDeflate(sp, p.start(p.rows))
	return sp, ref, err
}
