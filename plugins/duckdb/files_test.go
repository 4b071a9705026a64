//go:build cgo

package duckdb_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sluicedata/sluice/cmd/segmentgen/segment"
	"github.com/sluicedata/sluice/plugins/csv"
	"github.com/sluicedata/sluice/plugins/internal/testhost"
	"github.com/sluicedata/sluice/plugins/parquet"
	"github.com/sluicedata/sluice/sdk"
)

// writeSegment writes a generated segment as CSV, and as Parquet through
// the csv source and the parquet sink, and returns both paths and the
// rows the csv source read.
func writeSegment(t *testing.T, rows int) (csvPath, parquetPath string, want *testhost.Emitter) {
	t.Helper()
	dir := t.TempDir()
	csvPath = filepath.Join(dir, "segment.csv")
	f, err := os.Create(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := segment.Write(f, segment.Options{Rows: rows, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	src := testhost.MustBuild[sdk.Source](t, csv.Source, fmt.Sprintf("path = %q", csvPath))
	schema, err := src.Open(context.Background(), testhost.New(t))
	if err != nil {
		t.Fatal(err)
	}
	want = &testhost.Emitter{}
	t.Cleanup(want.Release)
	if err := src.Read(context.Background(), nil, want); err != nil {
		t.Fatal(err)
	}
	parquetPath = filepath.Join(dir, "segment.parquet")
	snk := testhost.MustBuild[sdk.Sink](t, parquet.Sink, fmt.Sprintf("path = %q\nrow_group_rows = 1000", parquetPath))
	if err := snk.Open(context.Background(), testhost.New(t), schema); err != nil {
		t.Fatal(err)
	}
	for _, rec := range want.Records() {
		if _, err := snk.Write(context.Background(), rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := snk.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	return csvPath, parquetPath, want
}

func rowsOf(recs []arrow.RecordBatch) []string {
	var out []string
	for _, rec := range recs {
		for i := 0; i < int(rec.NumRows()); i++ {
			cols := make([]string, rec.NumCols())
			for c, col := range rec.Columns() {
				cols[c] = col.ValueStr(i)
			}
			out = append(out, strings.Join(cols, "|"))
		}
	}
	return out
}

// TestParquetWrittenBySluice reads, through DuckDB, a Parquet file the
// parquet sink wrote, and gets back exactly the rows and types that went in.
func TestParquetWrittenBySluice(t *testing.T) {
	_, path, want := writeSegment(t, 5000)
	r := read(t, query(fmt.Sprintf("SELECT * FROM read_parquet('%s')", path), "batch_rows = 3000"), nil)
	wantSchema := want.Batches[0].Record.Schema()
	for i, f := range r.schema.Fields() {
		if wf := wantSchema.Field(i); f.Name != wf.Name || !arrow.TypeEqual(f.Type, wf.Type) {
			t.Errorf("column %d: %s %s, want %s %s", i, f.Name, f.Type, wf.Name, wf.Type)
		}
	}
	got, wantRows := r.rows(), rowsOf(want.Records())
	if !slices.Equal(got, wantRows) {
		t.Fatalf("read %d rows, want %d; first\ngot  %q\nwant %q", len(got), len(wantRows), got[:2], wantRows[:2])
	}
	// Batches gather DuckDB's chunks (at most 2048 rows; here one per
	// 1000-row row group) to at least batch_rows.
	for i, b := range r.batches {
		if n := b.Record.NumRows(); i < len(r.batches)-1 && (n < 3000 || n >= 3000+2048) {
			t.Errorf("batch %d has %d rows, want from 3000 to 5047", i, n)
		}
	}
	if len(r.batches) != 2 {
		t.Errorf("%d batches, want 2", len(r.batches))
	}
}

// TestQueryOverFiles runs SQL over the CSV and Parquet files — a filter with
// a parameter, an aggregate, a join of the two — as a segment would.
func TestQueryOverFiles(t *testing.T) {
	csvPath, parquetPath, want := writeSegment(t, 3000)
	var active int
	for _, row := range rowsOf(want.Records()) {
		if strings.Contains(row, "|true|") {
			active++
		}
	}
	r := read(t, query(fmt.Sprintf(`SELECT count(*)::INTEGER AS n FROM read_csv('%s') c JOIN read_parquet('%s') p USING (customer_id)
WHERE p.is_active = $1`, csvPath, parquetPath), "args = [true]"), nil)
	if got := r.rows(); !slices.Equal(got, []string{fmt.Sprint(active)}) {
		t.Errorf("active customers: %v, want %d", got, active)
	}
}

func TestArgsBindToParameters(t *testing.T) {
	r := read(t, query("SELECT $1::VARCHAR AS s, $2::INTEGER AS i, $3::DOUBLE AS f, $4::BOOLEAN AS b, $5::VARCHAR AS z, $6::DATE AS d",
		`args = ["it's", 42, 2.5, true, null, "2024-03-01"]`), nil)
	if got, want := r.rows(), []string{"it's|42|2.5|true|(null)|2024-03-01"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	_, _, err := open(t, query("SELECT $1::INTEGER + $2::INTEGER AS x", "args = [1]"))
	if err == nil || !strings.Contains(err.Error(), "the query has 2 parameters but args has 1 values") {
		t.Errorf("too few args: %v", err)
	}
}

func TestConfigurationMistakes(t *testing.T) {
	for _, c := range []struct{ body, path string }{
		{`query = ""`, "query"},
		{"query = \"SELECT 1\"\nbatch_rows = 0", "batch_rows"},
		{"query = \"SELECT 1\"\nread_only = false", "read_only"},
		{"query = \"SELECT 1\"\nargs = [[1]]", "args.0"},
		{"query = \"SELECT 1\"\nincremental {\ncursor = []\n}", "incremental.cursor"},
	} {
		_, err := testhost.Build(t, duckdbSource(), c.body)
		if d := sdk.AsDiagnostics(err); len(d) == 0 || d[0].Path.String() != c.path {
			t.Errorf("%s: got %v, want a diagnostic at %s", c.body, err, c.path)
		}
	}
	for _, c := range []struct{ body, want, path string }{
		{query("SELECT nosuch"), `Referenced column "nosuch" not found`, "query"},
		{query("SELECT 1 AS a", `database = "/nonexistent/dir/x.duckdb"`), "/nonexistent/dir/x.duckdb", "database"},
		{query("SELECT 1 AS a", `setup = ["SET nosuchsetting = 1"]`), "setup statement 1 failed", "setup.0"},
		{query("SELECT 1.5::DOUBLE AS a", "incremental {\ncursor = [\"a\"]\n}"), `column "a" has Arrow type float64, which cannot be a cursor`, "incremental.cursor"},
	} {
		_, _, err := open(t, c.body)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.body, err, c.want)
			continue
		}
		if d := sdk.AsDiagnostics(err); len(d) == 0 || d[0].Path.String() != c.path {
			t.Errorf("%s: diagnostics %v, want one at %s", c.body, d, c.path)
		}
	}
}
