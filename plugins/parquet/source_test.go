package parquet

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/sluicedata/sluice/plugins/internal/testhost"
	"github.com/sluicedata/sluice/sdk"
)

func openSource(t *testing.T, body string) (sdk.Source, *arrow.Schema) {
	t.Helper()
	src := testhost.MustBuild[sdk.Source](t, Source, body)
	schema, err := src.Open(context.Background(), testhost.New(t))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return src, schema
}

func ids(t *testing.T, e *testhost.Emitter) []int64 {
	t.Helper()
	var out []int64
	for _, rec := range e.Records() {
		col := rec.Column(0).(*array.Int64)
		out = append(out, col.Int64Values()...)
	}
	return out
}

func TestResumeInsideARowGroup(t *testing.T) {
	schema, fromCSV := readSegment(t, 12000)
	dir := t.TempDir()
	recs := fromCSV.Records()
	writeParquet(t, fmt.Sprintf("path = %q\nrow_group_rows = 2500", filepath.Join(dir, "a.parquet")), schema, recs[:1])
	writeParquet(t, fmt.Sprintf("path = %q\nrow_group_rows = 2500", filepath.Join(dir, "b.parquet")), schema, recs[1:])
	body := fmt.Sprintf("path = %q\nbatch_rows = 1000", filepath.Join(dir, "*.parquet"))
	src, _ := openSource(t, body)
	all := &testhost.Emitter{}
	if err := src.Read(context.Background(), nil, all); err != nil {
		t.Fatal(err)
	}
	defer all.Release()
	want := ids(t, all)
	if len(want) != 12000 || want[0] != 1_000_000 || want[11999] != 1_011_999 {
		t.Fatalf("read %d rows", len(want))
	}
	for _, stop := range []int{1, 2, 3, 5, 8} {
		first := &testhost.Emitter{StopAfter: stop}
		if err := src.Read(context.Background(), nil, first); !errors.Is(err, testhost.ErrStop) {
			t.Fatal(err)
		}
		rest := &testhost.Emitter{}
		if err := src.Read(context.Background(), first.Batches[stop-1].Checkpoint, rest); err != nil {
			t.Fatal(err)
		}
		got := append(ids(t, first), ids(t, rest)...)
		first.Release()
		rest.Release()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("stopping after %d batches and resuming: %d rows", stop, len(got))
		}
	}
}

func TestColumnsAndSchemaMismatch(t *testing.T) {
	schema, fromCSV := readSegment(t, 100)
	dir := t.TempDir()
	writeParquet(t, fmt.Sprintf("path = %q", filepath.Join(dir, "a.parquet")), schema, fromCSV.Records())
	src, got := openSource(t, fmt.Sprintf("path = %q\ncolumns = [\"email\", \"customer_id\"]", filepath.Join(dir, "a.parquet")))
	if got.NumFields() != 2 || got.Field(0).Name != "email" || got.Field(1).Name != "customer_id" {
		t.Fatalf("schema: %s", got)
	}
	e := &testhost.Emitter{}
	if err := src.Read(context.Background(), nil, e); err != nil {
		t.Fatal(err)
	}
	e.Release()

	bad := testhost.MustBuild[sdk.Source](t, Source, fmt.Sprintf("path = %q\ncolumns = [\"nope\"]", filepath.Join(dir, "a.parquet")))
	_, err := bad.Open(context.Background(), testhost.New(t))
	var diags sdk.Diagnostics
	if !errors.As(err, &diags) || diags[0].Path.String() != "columns.0" {
		t.Errorf("an unknown column: %v", err)
	}

	other := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64, Nullable: true}}, nil)
	b := array.NewInt64Builder(testhost.New(t).Allocator())
	b.Append(1)
	col := b.NewArray()
	b.Release()
	rec := array.NewRecordBatch(other, []arrow.Array{col}, 1)
	col.Release()
	writeParquet(t, fmt.Sprintf("path = %q", filepath.Join(dir, "b.parquet")), other, []arrow.RecordBatch{rec})
	rec.Release()
	src, _ = openSource(t, fmt.Sprintf("path = %q", filepath.Join(dir, "*.parquet")))
	e = &testhost.Emitter{}
	err = src.Read(context.Background(), nil, e)
	e.Release()
	if err == nil || !strings.Contains(err.Error(), "same columns") {
		t.Errorf("files with different schemas: %v", err)
	}
}

func TestNestedAndDecimalRoundTrip(t *testing.T) {
	h := testhost.New(t)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "tags", Type: arrow.ListOf(arrow.BinaryTypes.String), Nullable: true},
		{Name: "address", Type: arrow.StructOf(
			arrow.Field{Name: "city", Type: arrow.BinaryTypes.String, Nullable: true},
			arrow.Field{Name: "zip", Type: arrow.PrimitiveTypes.Int32, Nullable: true}), Nullable: true},
		{Name: "amount", Type: &arrow.Decimal128Type{Precision: 10, Scale: 2}, Nullable: true},
		{Name: "day", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(h.Allocator(), schema)
	for i := range 50 {
		lb := b.Field(0).(*array.ListBuilder)
		if i%7 == 0 {
			lb.AppendNull()
		} else {
			lb.Append(true)
			for j := range i % 3 {
				lb.ValueBuilder().(*array.StringBuilder).Append(fmt.Sprint("t", j))
			}
		}
		sb := b.Field(1).(*array.StructBuilder)
		sb.Append(true)
		sb.FieldBuilder(0).(*array.StringBuilder).Append(fmt.Sprint("city", i))
		sb.FieldBuilder(1).(*array.Int32Builder).Append(int32(10000 + i))
		b.Field(2).(*array.Decimal128Builder).Append(decimal128.FromI64(int64(i*137 - 500)))
		b.Field(3).(*array.Date32Builder).Append(arrow.Date32(19000 + i))
	}
	rec := b.NewRecordBatch()
	b.Release()
	defer rec.Release()
	path := filepath.Join(t.TempDir(), "nested.parquet")
	writeParquet(t, fmt.Sprintf("path = %q\ncompression = \"gzip\"", path), schema, []arrow.RecordBatch{rec})
	src, got := openSource(t, fmt.Sprintf("path = %q", path))
	// Parquet names list elements "element" where Arrow says "item"; the
	// rest of the schema survives.
	if got.NumFields() != 4 || got.Field(0).Type.(*arrow.ListType).Elem().ID() != arrow.STRING || !arrow.TypeEqual(got.Field(1).Type, schema.Field(1).Type) ||
		!arrow.TypeEqual(got.Field(2).Type, schema.Field(2).Type) || !arrow.TypeEqual(got.Field(3).Type, schema.Field(3).Type) {
		t.Fatalf("schema read back:\n%s\nwant\n%s", got, schema)
	}
	e := &testhost.Emitter{}
	if err := src.Read(context.Background(), nil, e); err != nil {
		t.Fatal(err)
	}
	defer e.Release()
	back := testhost.Concat(t, e.Records())
	defer back.Release()
	for c := range 4 {
		if w, g := rec.Column(c).String(), back.Column(c).String(); w != g {
			t.Errorf("column %d read back as\n%s\nwant\n%s", c, g, w)
		}
	}
}

func TestSinkConfigAndAtomicWrite(t *testing.T) {
	for body, path := range map[string]string{
		`path = "x.parquet"` + "\ncompression = \"lzma\"": "compression",
		`path = "x.parquet"` + "\nrow_group_rows = 0":     "row_group_rows",
	} {
		_, err := testhost.Build(t, Sink, body)
		var diags sdk.Diagnostics
		if !errors.As(err, &diags) || diags[0].Path.String() != path {
			t.Errorf("%s: %v", body, err)
		}
	}
	schema, fromCSV := readSegment(t, 100)
	dir := t.TempDir()
	out := filepath.Join(dir, "out.parquet")
	snk := testhost.MustBuild[sdk.Sink](t, Sink, fmt.Sprintf("path = %q", out))
	if err := snk.Open(context.Background(), testhost.New(t), schema); err != nil {
		t.Fatal(err)
	}
	for _, rec := range fromCSV.Records() {
		if _, err := snk.Write(context.Background(), rec); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatal("the file exists before Close")
	}
	if err := snk.(interface{ Abort(context.Context) error }).Abort(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := snk.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("an aborted write left %v", entries)
	}
}

func TestSinkWithoutRowsWritesAnEmptyFile(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{{Name: "a", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	path := filepath.Join(t.TempDir(), "empty.parquet")
	writeParquet(t, fmt.Sprintf("path = %q", path), schema, nil)
	src, got := openSource(t, fmt.Sprintf("path = %q", path))
	if !got.Equal(schema) {
		t.Fatalf("schema %s", got)
	}
	e := &testhost.Emitter{}
	defer e.Release()
	if err := src.Read(context.Background(), nil, e); err != nil || e.Rows() != 0 {
		t.Errorf("read %d rows, %v", e.Rows(), err)
	}
}
