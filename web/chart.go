package web

import (
	"fmt"
	"html/template"
	"math"
	"strings"
)

// Charts are drawn here as inline SVG: no script, no image to fetch, and
// they print. Colours come from the style sheet (classes), since the
// Content-Security-Policy allows no inline style. Every text is escaped.

type bar struct {
	Label string
	Value int64 // bytes
	Muted bool  // the unassigned clients
}

const chartWidth = 760

// barChart draws one horizontal bar per entry, in MiB, with the exact
// bytes in each bar's tooltip.
func barChart(title string, bars []bar) template.HTML {
	if len(bars) == 0 {
		return ""
	}
	const row, left, right = 18, 170, 110
	var top int64
	for _, b := range bars {
		top = max(top, b.Value)
	}
	h := len(bars)*row + 8
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s">`,
		chartWidth, h, chartWidth, h, esc(title))
	span := float64(chartWidth - left - right)
	for i, b := range bars {
		y := 4 + i*row
		w := 0.0
		if top > 0 {
			w = math.Max(1, span*float64(b.Value)/float64(top))
		}
		cls := "bar"
		if b.Muted {
			cls = "bar un"
		}
		fmt.Fprintf(&sb, `<text x="%d" y="%d" text-anchor="end">%s</text>`, left-6, y+12, esc(cut(b.Label, 26)))
		fmt.Fprintf(&sb, `<rect class="%s" x="%d" y="%d" width="%.1f" height="%d"><title>%s: %s MiB, %s bytes</title></rect>`,
			cls, left, y+2, w, row-5, esc(b.Label), mb(b.Value), count(b.Value))
		fmt.Fprintf(&sb, `<text x="%.1f" y="%d">%s MiB</text>`, float64(left)+w+5, y+12, mb(b.Value))
	}
	sb.WriteString(`</svg>`)
	return template.HTML(sb.String())
}

type series struct {
	Label  string
	Values []int64 // bytes per day
}

// lineChart draws one line per series over the days of a month, in MiB;
// labels are the days of the month.
func lineChart(title string, days []string, lines []series) template.HTML {
	if len(days) == 0 || len(lines) == 0 {
		return ""
	}
	const h, left, right, top, bottom = 240, 70, 10, 10, 24
	var peak int64
	for _, l := range lines {
		for _, v := range l.Values {
			peak = max(peak, v)
		}
	}
	step := niceStep(float64(peak) / mib / 4)
	yMax := step * 4
	if yMax == 0 {
		yMax = 1
	}
	pw, ph := float64(chartWidth-left-right), float64(h-top-bottom)
	x := func(i int) float64 {
		if len(days) == 1 {
			return left + pw/2
		}
		return left + pw*float64(i)/float64(len(days)-1)
	}
	y := func(v int64) float64 { return top + ph - ph*(float64(v)/mib)/yMax }
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s">`, chartWidth, h, chartWidth, h, esc(title))
	for i := 0; i <= 4; i++ {
		v := step * float64(i)
		yy := top + ph - ph*v/yMax
		fmt.Fprintf(&sb, `<line class="grid" x1="%d" x2="%d" y1="%.1f" y2="%.1f"/><text x="%d" y="%.1f" text-anchor="end">%s</text>`,
			left, chartWidth-right, yy, yy, left-4, yy+4, axisMB(v))
	}
	fmt.Fprintf(&sb, `<text x="4" y="%d">MiB</text>`, top+4)
	for i, d := range days {
		if i%3 == 0 || i == len(days)-1 {
			fmt.Fprintf(&sb, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`, x(i), h-6, esc(d))
		}
	}
	for n, l := range lines {
		var pts strings.Builder
		for i, v := range l.Values {
			fmt.Fprintf(&pts, "%.1f,%.1f ", x(i), y(v))
		}
		fmt.Fprintf(&sb, `<polyline class="line l%d" points="%s"><title>%s</title></polyline>`, n%6, strings.TrimSpace(pts.String()), esc(l.Label))
	}
	sb.WriteString(`</svg>`)
	return template.HTML(sb.String())
}

// niceStep rounds a grid step up to 1, 2 or 5 times a power of ten.
func niceStep(v float64) float64 {
	if v <= 0 {
		return 0
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

func axisMB(v float64) string {
	if v >= 10 || v == 0 {
		return count(int64(v))
	}
	return fmt.Sprintf("%g", v)
}

func esc(s string) string { return template.HTMLEscapeString(s) }

// cut shortens s to n characters.
func cut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
