package parquet

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sluicedata/sluice/cmd/segmentgen/segment"
	"github.com/sluicedata/sluice/plugins/csv"
	"github.com/sluicedata/sluice/plugins/internal/testhost"
	"github.com/sluicedata/sluice/sdk"
)

// readSegment generates a segment CSV and reads it with the csv source.
func readSegment(t testing.TB, rows int) (*arrow.Schema, *testhost.Emitter) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "segment.csv")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := segment.Write(f, segment.Options{Rows: rows, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	src := testhost.MustBuild[sdk.Source](t, csv.Source, fmt.Sprintf("path = %q\nbatch_rows = 5000", path))
	schema, err := src.Open(context.Background(), testhost.New(t))
	if err != nil {
		t.Fatal(err)
	}
	e := &testhost.Emitter{}
	if err := src.Read(context.Background(), nil, e); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Release)
	return schema, e
}

// writeParquet writes records through the parquet sink.
func writeParquet(t testing.TB, body string, schema *arrow.Schema, recs []arrow.RecordBatch) {
	t.Helper()
	snk := testhost.MustBuild[sdk.Sink](t, Sink, body)
	if err := snk.Open(context.Background(), testhost.New(t), schema); err != nil {
		t.Fatal(err)
	}
	for _, rec := range recs {
		if _, err := snk.Write(context.Background(), rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := snk.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestSegmentRoundTrip(t *testing.T) {
	for _, codec := range []string{"snappy", "zstd", "none"} {
		t.Run(codec, func(t *testing.T) {
			schema, fromCSV := readSegment(t, 25000)
			path := filepath.Join(t.TempDir(), "out", "segment.parquet")
			writeParquet(t, fmt.Sprintf("path = %q\ncompression = %q\nrow_group_rows = 10000", path, codec), schema, fromCSV.Records())

			src := testhost.MustBuild[sdk.Source](t, Source, fmt.Sprintf("path = %q\nbatch_rows = 4000", path))
			got, err := src.Open(context.Background(), testhost.New(t))
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(schema) {
				t.Fatalf("schema read back:\n%s\nwant:\n%s", got, schema)
			}
			e := &testhost.Emitter{}
			if err := src.Read(context.Background(), nil, e); err != nil {
				t.Fatal(err)
			}
			defer e.Release()
			want := testhost.Concat(t, fromCSV.Records())
			defer want.Release()
			back := testhost.Concat(t, e.Records())
			defer back.Release()
			if !array.RecordEqual(want, back) {
				t.Fatal("records read back differ")
			}
			// 25,000 rows in row groups of 10,000, batches of up to 4,000.
			if len(e.Batches) != 8 {
				t.Errorf("%d batches, want 8: 3, 3 and 2 for row groups of 10000, 10000 and 5000", len(e.Batches))
			}
		})
	}
}
