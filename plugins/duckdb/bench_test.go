//go:build cgo

package duckdb_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/sluicedata/sluice/plugins/duckdb"
	"github.com/sluicedata/sluice/plugins/internal/testhost"
	"github.com/sluicedata/sluice/sdk"
)

type discard struct{ rows int64 }

func (d *discard) Emit(ctx context.Context, b sdk.Batch) error {
	d.rows += b.Record.NumRows()
	return nil
}

// BenchmarkReadParquet reads the 1M-row segment Parquet file that W3
// writes (make build && bin/sluice run testdata/bench/w3.hcl --var
// input=… --var output=testdata/generated/segment-1000000.parquet), or the
// file $PARQUET names, into Arrow batches and discards them.
func BenchmarkReadParquet(b *testing.B) {
	path := os.Getenv("PARQUET")
	if path == "" {
		path, _ = filepath.Abs("../../testdata/generated/segment-1000000.parquet")
	}
	if _, err := os.Stat(path); err != nil {
		b.Fatalf("%v: write it with testdata/bench/w3.hcl (see docs/benchmarks.md)", err)
	}
	body := query(fmt.Sprintf("SELECT * FROM read_parquet('%s')", path))
	var rows int64
	for b.Loop() {
		src := testhost.MustBuild[sdk.Source](b, duckdb.Source, body)
		if _, err := src.Open(context.Background(), testhost.New(b)); err != nil {
			b.Fatal(err)
		}
		d := &discard{}
		if err := src.Read(context.Background(), nil, d); err != nil {
			b.Fatal(err)
		}
		src.Close(context.Background())
		rows = d.rows
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
