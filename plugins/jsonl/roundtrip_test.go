package jsonl

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sluicedata/sluice/cmd/segmentgen/segment"
	"github.com/sluicedata/sluice/plugins/csv"
	"github.com/sluicedata/sluice/plugins/internal/testhost"
	"github.com/sluicedata/sluice/sdk"
)

// TestSegmentRoundTrip reads a generated segment from CSV, writes it as JSON
// lines, reads that back, and expects the same table.
func TestSegmentRoundTrip(t *testing.T) {
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "segment.csv")
	f, err := os.Create(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := segment.Write(f, segment.Options{Rows: 30000, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	f.Close()

	csvSrc := testhost.MustBuild[sdk.Source](t, csv.Source, fmt.Sprintf(`path = %q`, csvPath))
	schema, err := csvSrc.Open(t.Context(), testhost.New(t))
	if err != nil {
		t.Fatal(err)
	}
	fromCSV := readAll(t, csvSrc, nil)

	jsonPath := filepath.Join(dir, "segment.jsonl")
	writeRecords(t, jsonPath, schema, fromCSV.Records()...)

	jsonSrc, jsonSchema := openSource(t, fmt.Sprintf(`path = %q`, jsonPath))
	if !jsonSchema.Equal(schema) {
		t.Fatalf("schema inferred from JSON lines:\n%s\nwant:\n%s", jsonSchema, schema)
	}
	fromJSON := readAll(t, jsonSrc, nil)
	for _, b := range fromJSON.Batches {
		if len(b.Rejects) > 0 {
			t.Fatalf("rejects: %v", b.Rejects)
		}
	}
	want := testhost.Concat(t, fromCSV.Records())
	defer want.Release()
	got := testhost.Concat(t, fromJSON.Records())
	defer got.Release()
	if want.NumRows() != 30000 || !array.RecordEqual(want, got) {
		t.Fatal("the records read back differ from those written")
	}
}
