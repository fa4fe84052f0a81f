package parsers

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"testing"
	"time"

	"github.com/ispacct/ispacct/fixtures/gen"
)

// The BenchmarkFile benchmarks read a synthetic log from memory the way
// ingest does: LineReader, then the parser, every line. They report
// ns/line (wall), cpu-ns/line (CPU time of the benchmark's thread, which
// other load on the machine does not inflate), allocs/line and MB/s.

const fileLines = 200_000

func BenchmarkFileSquid(b *testing.B) {
	var buf bytes.Buffer
	squidLines(&buf, fileLines)
	var p Squid
	var rec Proxy
	benchFile(b, buf.Bytes(), func([]byte) error { return nil }, func(line []byte) error { return p.Parse(line, &rec) })
}

// squidLines writes n native Squid lines (the generator for this format
// lives elsewhere).
func squidLines(w *bytes.Buffer, n int) {
	lines := []string{
		"1795215541.000    120 10.4.24.77 TCP_MISS/200 5120 GET http://example.com/some/path?q=1 - HIER_DIRECT/93.184.216.34 text/html",
		"1795215542.500      5 10.4.24.78 TCP_MEM_HIT/200 2048 GET http://example.com/logo.png - HIER_NONE/- image/png",
		"1795215601.000    230 10.4.24.80 TCP_TUNNEL/200 48213 CONNECT www.bank.example:443 - HIER_DIRECT/198.51.100.7 -",
		"1795215602.345      0 10.0.2.15 TCP_DENIED/403 3912 GET http://blocked.example/ads?x=1 - HIER_NONE/- text/html",
	}
	for i := range n {
		w.WriteString(lines[i%len(lines)])
		w.WriteByte('\n')
	}
}

func BenchmarkFileSquidCommon(b *testing.B) {
	for _, combined := range []bool{false, true} {
		name := "common"
		if combined {
			name = "combined"
		}
		b.Run(name, func(b *testing.B) {
			var buf bytes.Buffer
			if err := gen.SquidCommon(&buf, fileLines, 1, combined); err != nil {
				b.Fatal(err)
			}
			p := SquidCommon{Combined: combined}
			var rec Proxy
			benchFile(b, buf.Bytes(), func([]byte) error { return nil }, func(line []byte) error { return p.Parse(line, &rec) })
		})
	}
}

func BenchmarkFileApache(b *testing.B) {
	for _, tt := range []struct {
		name   string
		write  func(io.Writer, int, int64) error
		format ApacheFormat
	}{{"combined", gen.Apache, ApacheCombined}, {"vhost", gen.ApacheVHost, ApacheVHostCombined}} {
		b.Run(tt.name, func(b *testing.B) {
			var buf bytes.Buffer
			if err := tt.write(&buf, fileLines, 1); err != nil {
				b.Fatal(err)
			}
			p := NewApache(tt.format, "")
			var rec HTTP
			benchFile(b, buf.Bytes(), func([]byte) error { return nil }, func(line []byte) error { return p.Parse(line, &rec) })
		})
	}
}

func BenchmarkFilePostfix(b *testing.B) { benchMailFile(b, gen.Postfix, NewPostfix) }

func BenchmarkFileSendmail(b *testing.B) { benchMailFile(b, gen.Sendmail, NewSendmail) }

func benchMailFile(b *testing.B, write func(io.Writer, int, int64) error, newLog func(MailOptions) *MailLog) {
	var buf bytes.Buffer
	if err := write(&buf, fileLines, 1); err != nil {
		b.Fatal(err)
	}
	var m *MailLog
	opts := MailOptions{Location: berlin, Reference: time.Date(2026, 12, 1, 0, 0, 0, 0, berlin)}
	benchFile(b, buf.Bytes(),
		func([]byte) error { m = newLog(opts); return nil }, // a fresh run per pass over the file
		func(line []byte) error { _, err := m.Parse(line); return err })
}

func benchFile(b *testing.B, data []byte, start, parse func([]byte) error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var lines, rejects int64
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	cpu0 := threadCPU()
	for b.Loop() {
		start(nil)
		lr := NewLineReader(bytes.NewReader(data), 0, 0)
		for {
			line, err := lr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			lines++
			if parse(line) != nil {
				rejects++
			}
		}
	}
	cpu := threadCPU() - cpu0
	runtime.ReadMemStats(&ms1)
	if rejects > 0 {
		b.Fatalf("%d of %d lines rejected", rejects, lines)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(lines), "ns/line")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(lines), "cpu-ns/line")
	b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/float64(lines), "allocs/line")
}
