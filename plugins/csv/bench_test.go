package csv

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	arrowcsv "github.com/apache/arrow-go/v18/arrow/csv"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sluicedata/sluice/cmd/segmentgen/segment"
	"github.com/sluicedata/sluice/plugins/internal/testhost"
	"github.com/sluicedata/sluice/sdk"
)

// benchRows is the size of the generated segment the benchmarks read:
// SLUICE_BENCH_ROWS, or 200,000 rows (about 31 MB).
func benchRows() int {
	if n, err := strconv.Atoi(os.Getenv("SLUICE_BENCH_ROWS")); err == nil && n > 0 {
		return n
	}
	return 200_000
}

var (
	benchOnce sync.Once
	benchPath string
	benchSize int64
)

func segmentFile(b *testing.B) (string, int64) {
	benchOnce.Do(func() {
		dir, err := os.MkdirTemp("", "sluice-csv-bench")
		if err != nil {
			b.Fatal(err)
		}
		benchPath = filepath.Join(dir, "segment.csv")
		f, err := os.Create(benchPath)
		if err != nil {
			b.Fatal(err)
		}
		if err := segment.Write(f, segment.Options{Rows: benchRows(), Seed: 1}); err != nil {
			b.Fatal(err)
		}
		f.Close()
		fi, _ := os.Stat(benchPath)
		benchSize = fi.Size()
	})
	return benchPath, benchSize
}

type countingEmitter struct{ rows int64 }

func (e *countingEmitter) Emit(_ context.Context, b sdk.Batch) error {
	e.rows += b.Record.NumRows()
	return nil
}

// BenchmarkSourceSegment reads the generated segment with the csv source,
// inferring the schema, on all cores.
func BenchmarkSourceSegment(b *testing.B) {
	path, size := segmentFile(b)
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		src := testhost.MustBuild[sdk.Source](b, Source, fmt.Sprintf("path = %q", path))
		h := testhost.New(b)
		if _, err := src.Open(context.Background(), h); err != nil {
			b.Fatal(err)
		}
		e := &countingEmitter{}
		if err := src.Read(context.Background(), nil, e); err != nil {
			b.Fatal(err)
		}
		if e.rows != int64(benchRows()) {
			b.Fatalf("read %d rows", e.rows)
		}
	}
}

// BenchmarkArrowStockReader reads the same file with arrow-go's csv.Reader
// and the schema the csv source infers, for comparison.
func BenchmarkArrowStockReader(b *testing.B) {
	path, size := segmentFile(b)
	src := testhost.MustBuild[sdk.Source](b, Source, fmt.Sprintf("path = %q", path))
	schema, err := src.Open(context.Background(), testhost.New(b))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		r := arrowcsv.NewReader(f, schema, arrowcsv.WithHeader(true), arrowcsv.WithChunk(16384),
			arrowcsv.WithAllocator(memory.NewGoAllocator()))
		var rows int64
		for r.Next() {
			rows += r.RecordBatch().NumRows()
		}
		if r.Err() != nil {
			b.Fatal(r.Err())
		}
		r.Release()
		f.Close()
		if rows != int64(benchRows()) {
			b.Fatalf("read %d rows", rows)
		}
	}
	_ = arrow.Record(nil)
}
