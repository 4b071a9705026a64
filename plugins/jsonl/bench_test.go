package jsonl

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sluicedata/sluice/cmd/segmentgen/segment"
	"github.com/sluicedata/sluice/plugins/csv"
	"github.com/sluicedata/sluice/plugins/internal/testhost"
	"github.com/sluicedata/sluice/plugins/internal/valfmt"
	"github.com/sluicedata/sluice/sdk"
)

// benchRows is the size of the generated segment: SLUICE_BENCH_ROWS, or
// 200,000 rows.
func benchRows() int {
	if n, err := strconv.Atoi(os.Getenv("SLUICE_BENCH_ROWS")); err == nil && n > 0 {
		return n
	}
	return 200_000
}

var (
	segOnce    sync.Once
	segRecords []arrow.RecordBatch
	segPath    string
)

// segmentRecords decodes a generated segment with the csv source, once per
// benchmark binary; the records live until the process ends.
func segmentRecords(b *testing.B) []arrow.RecordBatch {
	segOnce.Do(func() {
		dir, err := os.MkdirTemp("", "sluice-jsonl-bench")
		if err != nil {
			b.Fatal(err)
		}
		segPath = filepath.Join(dir, "segment.csv")
		f, _ := os.Create(segPath)
		if err := segment.Write(f, segment.Options{Rows: benchRows(), Seed: 1}); err != nil {
			b.Fatal(err)
		}
		f.Close()
		src := testhost.MustBuild[sdk.Source](b, csv.Source, fmt.Sprintf("path = %q", segPath))
		host := &testhost.Host{Mem: memory.NewCheckedAllocator(memory.NewGoAllocator())}
		host.Log = testhost.New(b).Log
		if _, err := src.Open(context.Background(), host); err != nil {
			b.Fatal(err)
		}
		e := &testhost.Emitter{}
		if err := src.Read(context.Background(), nil, e); err != nil {
			b.Fatal(err)
		}
		segRecords = e.Records()
	})
	return segRecords
}

// BenchmarkEncodeSegment encodes the segment with the sink's encoder.
func BenchmarkEncodeSegment(b *testing.B) {
	recs := segmentRecords(b)
	enc := valfmt.NewJSONLines(recs[0].Schema())
	var buf []byte
	b.ReportAllocs()
	var out int64
	for b.Loop() {
		out = 0
		for _, rec := range recs {
			if err := enc.Bind(rec); err != nil {
				b.Fatal(err)
			}
			buf = enc.Append(buf[:0], 0, int(rec.NumRows()))
			out += int64(len(buf))
		}
	}
	b.ReportMetric(float64(benchRows())*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.SetBytes(out)
}

// BenchmarkArrowRecordToJSON encodes the same records with arrow-go's
// array.RecordToJSON, for comparison.
func BenchmarkArrowRecordToJSON(b *testing.B) {
	recs := segmentRecords(b)
	var buf bytes.Buffer
	b.ReportAllocs()
	var out int64
	for b.Loop() {
		out = 0
		for _, rec := range recs {
			buf.Reset()
			if err := array.RecordToJSON(rec, &buf); err != nil {
				b.Fatal(err)
			}
			out += int64(buf.Len())
		}
	}
	b.ReportMetric(float64(benchRows())*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.SetBytes(out)
}

// BenchmarkSinkSegment writes the segment to a file through the sink.
func BenchmarkSinkSegment(b *testing.B) {
	recs := segmentRecords(b)
	dir := b.TempDir()
	b.ReportAllocs()
	for b.Loop() {
		snk := testhost.MustBuild[sdk.Sink](b, Sink, fmt.Sprintf("path = %q", filepath.Join(dir, "out.jsonl")))
		if err := snk.Open(context.Background(), testhost.New(b), recs[0].Schema()); err != nil {
			b.Fatal(err)
		}
		for _, rec := range recs {
			if _, err := snk.Write(context.Background(), rec); err != nil {
				b.Fatal(err)
			}
		}
		if err := snk.Close(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(benchRows())*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

var _ = io.Discard
