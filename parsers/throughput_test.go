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
	if err := gen.Squid(&buf, fileLines, 1793491200, 1); err != nil {
		b.Fatal(err)
	}
	var p Squid
	var rec Proxy
	benchFile(b, buf.Bytes(), func([]byte) error { return nil }, func(line []byte) error { return p.Parse(line, &rec) })
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
