package csv

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sluicedata/sluice/plugins/internal/testhost"
	"github.com/sluicedata/sluice/sdk"
)

func openSink(t *testing.T, body string, schema *arrow.Schema) (sdk.Sink, *testhost.Host) {
	t.Helper()
	h := testhost.New(t)
	snk := testhost.MustBuild[sdk.Sink](t, Sink, body)
	if err := snk.Open(context.Background(), h, schema); err != nil {
		t.Fatalf("Open: %v", err)
	}
	return snk, h
}

func TestSinkRoundTripsTheSegment(t *testing.T) {
	seg := segmentFileForTest(t, 5000)
	src, schema, _ := openSource(t, fmt.Sprintf("path = %q\nbatch_rows = 999", seg))
	first := readAll(t, src, nil)

	out := filepath.Join(t.TempDir(), "deep", "dir", "out.csv")
	snk, _ := openSink(t, fmt.Sprintf("path = %q", out), schema)
	for _, rec := range first.Records() {
		if _, err := snk.Write(context.Background(), rec); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatalf("the destination exists before Close: %v", err)
	}
	if err := snk.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(filepath.Dir(out))
	if len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}

	src2, schema2, _ := openSource(t, fmt.Sprintf("path = %q", out))
	if !schema2.Equal(schema) {
		t.Fatalf("schema of the written file:\n%s\nwant\n%s", schema2, schema)
	}
	second := readAll(t, src2, nil)
	a, b := testhost.Concat(t, first.Records()), testhost.Concat(t, second.Records())
	defer a.Release()
	defer b.Release()
	if !array.RecordEqual(a, b) {
		t.Fatal("the file read back differs from what was written")
	}
}

func TestSinkQuotingNullsAndDelimiter(t *testing.T) {
	src, schema, _ := openSource(t, fmt.Sprintf("path = %q\nnull_values = [\"\"]\nschema = { n = \"float64\" }",
		writeFile(t, "", "in.csv", "s,n\n\"a;b\",1.5\n\"\",\n,2\n\"say \"\"hi\"\"\",3\n\"two\nlines\",4\n")))
	in := readAll(t, src, nil)
	out := filepath.Join(t.TempDir(), "out.csv")
	snk, _ := openSink(t, fmt.Sprintf("path = %q\ndelimiter = \";\"", out), schema)
	for _, rec := range in.Records() {
		if _, err := snk.Write(context.Background(), rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := snk.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(out)
	want := "s;n\n\"a;b\";1.5\n\"\";\n;2\n\"say \"\"hi\"\"\";3\n\"two\nlines\";4\n"
	if string(got) != want {
		t.Errorf("wrote:\n%s\nwant:\n%s", got, want)
	}

	out2 := filepath.Join(t.TempDir(), "out2.csv")
	snk, _ = openSink(t, fmt.Sprintf("path = %q\nheader = false\nnull = \"NULL\"", out2), schema)
	for _, rec := range in.Records() {
		snk.Write(context.Background(), rec)
	}
	snk.Close(context.Background())
	got, _ = os.ReadFile(out2)
	want = "a;b,1.5\n,NULL\nNULL,2\n\"say \"\"hi\"\"\",3\n\"two\nlines\",4\n"
	if string(got) != want {
		t.Errorf("wrote:\n%s\nwant:\n%s", got, want)
	}
}

func TestSinkAbortKeepsThePreviousFile(t *testing.T) {
	dir := t.TempDir()
	out := writeFile(t, dir, "out.csv", "previous\n")
	schema := arrow.NewSchema([]arrow.Field{{Name: "a", Type: arrow.PrimitiveTypes.Int64, Nullable: true}}, nil)
	snk, h := openSink(t, fmt.Sprintf("path = %q", out), schema)
	b := array.NewInt64Builder(h.Allocator())
	b.AppendValues([]int64{1, 2}, nil)
	col := b.NewArray()
	b.Release()
	rec := array.NewRecordBatch(schema, []arrow.Array{col}, 2)
	col.Release()
	defer rec.Release()
	if _, err := snk.Write(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	if err := snk.(interface{ Abort(context.Context) error }).Abort(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := snk.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(out)
	entries, _ := os.ReadDir(dir)
	if string(got) != "previous\n" || len(entries) != 1 {
		t.Errorf("after Abort the file holds %q and the directory %v", got, entries)
	}
}

func TestSinkOfflineWritesNothing(t *testing.T) {
	dir := t.TempDir()
	h := testhost.New(t)
	h.IsOffline = true
	snk := testhost.MustBuild[sdk.Sink](t, Sink, fmt.Sprintf("path = %q", filepath.Join(dir, "sub", "x.csv")))
	schema := arrow.NewSchema([]arrow.Field{{Name: "a", Type: arrow.BinaryTypes.String}}, nil)
	if err := snk.Open(context.Background(), h, schema); err != nil {
		t.Fatal(err)
	}
	if err := snk.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("validation created %v", entries)
	}
}
