package parquet

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sluicedata/sluice/cmd/segmentgen/segment"
	"github.com/sluicedata/sluice/plugins/csv"
	"github.com/sluicedata/sluice/plugins/internal/testhost"
	"github.com/sluicedata/sluice/sdk"
)

func benchRows() int {
	if n, err := strconv.Atoi(os.Getenv("SLUICE_BENCH_ROWS")); err == nil && n > 0 {
		return n
	}
	return 200_000
}

var (
	segOnce    sync.Once
	segRecords []arrow.RecordBatch
)

// segmentRecords decodes a generated segment once per benchmark binary.
func segmentRecords(b *testing.B) []arrow.RecordBatch {
	segOnce.Do(func() {
		dir, _ := os.MkdirTemp("", "sluice-parquet-bench")
		path := filepath.Join(dir, "segment.csv")
		f, _ := os.Create(path)
		if err := segment.Write(f, segment.Options{Rows: benchRows(), Seed: 1}); err != nil {
			b.Fatal(err)
		}
		f.Close()
		src := testhost.MustBuild[sdk.Source](b, csv.Source, fmt.Sprintf("path = %q\nbatch_rows = 65536", path))
		host := &testhost.Host{Mem: memory.NewCheckedAllocator(memory.NewGoAllocator()), Log: testhost.New(b).Log}
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

// BenchmarkSinkSegment writes the segment with the parquet sink's defaults
// (snappy, row groups of 131,072 rows, dictionaries for text only).
func BenchmarkSinkSegment(b *testing.B) {
	for _, codec := range []string{"snappy", "zstd"} {
		b.Run(codec, func(b *testing.B) {
			recs := segmentRecords(b)
			path := filepath.Join(b.TempDir(), "out.parquet")
			b.ReportAllocs()
			for b.Loop() {
				snk := testhost.MustBuild[sdk.Sink](b, Sink, fmt.Sprintf("path = %q\ncompression = %q", path, codec))
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
			fi, _ := os.Stat(path)
			b.ReportMetric(float64(benchRows())*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(fi.Size())/1e6, "MB")
		})
	}
}

// BenchmarkSourceSegment reads back what the sink wrote.
func BenchmarkSourceSegment(b *testing.B) {
	recs := segmentRecords(b)
	path := filepath.Join(b.TempDir(), "in.parquet")
	snk := testhost.MustBuild[sdk.Sink](b, Sink, fmt.Sprintf("path = %q", path))
	if err := snk.Open(context.Background(), testhost.New(b), recs[0].Schema()); err != nil {
		b.Fatal(err)
	}
	for _, rec := range recs {
		snk.Write(context.Background(), rec)
	}
	if err := snk.Close(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		src := testhost.MustBuild[sdk.Source](b, Source, fmt.Sprintf("path = %q", path))
		if _, err := src.Open(context.Background(), testhost.New(b)); err != nil {
			b.Fatal(err)
		}
		var rows int64
		err := src.Read(context.Background(), nil, emitFunc(func(bt sdk.Batch) { rows += bt.Record.NumRows() }))
		if err != nil || rows != int64(benchRows()) {
			b.Fatalf("%d rows, %v", rows, err)
		}
	}
	b.ReportMetric(float64(benchRows())*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

type emitFunc func(sdk.Batch)

func (f emitFunc) Emit(_ context.Context, b sdk.Batch) error { f(b); return nil }
