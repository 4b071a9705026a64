package jsonl

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sluicedata/sluice/plugins/internal/testhost"
	"github.com/sluicedata/sluice/sdk"
)

var update = flag.Bool("update", false, "rewrite golden files")

// allTypes builds a batch with a column of every type the sink writes and
// rows of awkward values.
func allTypes(t *testing.T, mem memory.Allocator) arrow.RecordBatch {
	t.Helper()
	utc := &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	fields := []arrow.Field{
		{Name: "i8", Type: arrow.PrimitiveTypes.Int8, Nullable: true},
		{Name: "i64", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "u64", Type: arrow.PrimitiveTypes.Uint64, Nullable: true},
		{Name: "f32", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
		{Name: "f64", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "bool", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		{Name: "text", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "large_text", Type: arrow.BinaryTypes.LargeString, Nullable: true},
		{Name: "bytes", Type: arrow.BinaryTypes.Binary, Nullable: true},
		{Name: "ts_us_utc", Type: utc, Nullable: true},
		{Name: "ts_ns", Type: &arrow.TimestampType{Unit: arrow.Nanosecond}, Nullable: true},
		{Name: "ts_s_paris", Type: &arrow.TimestampType{Unit: arrow.Second, TimeZone: "Europe/Paris"}, Nullable: true},
		{Name: "date32", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
		{Name: "date64", Type: arrow.FixedWidthTypes.Date64, Nullable: true},
		{Name: "time64", Type: arrow.FixedWidthTypes.Time64us, Nullable: true},
		{Name: "decimal", Type: &arrow.Decimal128Type{Precision: 12, Scale: 2}, Nullable: true},
		{Name: "list", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64), Nullable: true},
		{Name: "struct", Type: arrow.StructOf(
			arrow.Field{Name: "a", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
			arrow.Field{Name: "b \"quoted\"", Type: arrow.BinaryTypes.String, Nullable: true}), Nullable: true},
		{Name: "map", Type: arrow.MapOf(arrow.BinaryTypes.String, arrow.PrimitiveTypes.Float64), Nullable: true},
		{Name: "dict", Type: &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int8, ValueType: arrow.BinaryTypes.String}, Nullable: true},
		{Name: "nothing", Type: arrow.Null, Nullable: true},
	}
	schema := arrow.NewSchema(fields, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	const rows = 4
	for r := range rows {
		null := r == 3
		for i, f := range fields {
			fb := b.Field(i)
			if null {
				fb.AppendNull()
				continue
			}
			switch fb := fb.(type) {
			case *array.Int8Builder:
				fb.Append([]int8{-128, 0, 127}[r])
			case *array.Int64Builder:
				fb.Append([]int64{math.MinInt64, 0, math.MaxInt64}[r])
			case *array.Uint64Builder:
				fb.Append([]uint64{0, 1, math.MaxUint64}[r])
			case *array.Float32Builder:
				fb.Append([]float32{0.1, float32(math.Inf(1)), -3.5e-8}[r])
			case *array.Float64Builder:
				fb.Append([]float64{0.1, math.NaN(), 1e21}[r])
			case *array.BooleanBuilder:
				fb.Append(r == 0)
			case *array.StringBuilder:
				fb.Append([]string{"plain", "quote \" backslash \\ newline \n tab \t bell \x07", "unicode é 😀 \u2028 invalid \xff end"}[r])
			case *array.LargeStringBuilder:
				fb.Append([]string{"", "<html> & </html>", "x"}[r])
			case *array.BinaryBuilder:
				fb.Append([]byte{0, 1, 2, byte(r)})
			case *array.TimestampBuilder:
				switch f.Name {
				case "ts_us_utc":
					fb.Append([]arrow.Timestamp{0, 1714566600123456, -1}[r])
				case "ts_ns":
					fb.Append([]arrow.Timestamp{1, 1714566600000000000, 1714566600500000000}[r])
				default:
					fb.Append([]arrow.Timestamp{1714566600, 0, 253402300799}[r])
				}
			case *array.Date32Builder:
				fb.Append([]arrow.Date32{0, 19844, -1}[r])
			case *array.Date64Builder:
				fb.Append([]arrow.Date64{0, 1714521600000, -86400000}[r])
			case *array.Time64Builder:
				fb.Append([]arrow.Time64{0, 45296789000, 86399999999}[r])
			case *array.Decimal128Builder:
				fb.Append(decimal128.FromI64([]int64{12345, -5, 0}[r]))
			case *array.ListBuilder:
				fb.Append(true)
				vb := fb.ValueBuilder().(*array.Int64Builder)
				for j := range r {
					if j == 1 {
						vb.AppendNull()
					} else {
						vb.Append(int64(j))
					}
				}
			case *array.StructBuilder:
				fb.Append(true)
				fb.FieldBuilder(0).(*array.Int32Builder).Append(int32(r))
				if r == 1 {
					fb.FieldBuilder(1).AppendNull()
				} else {
					fb.FieldBuilder(1).(*array.StringBuilder).Append(fmt.Sprint("v", r))
				}
			case *array.MapBuilder:
				fb.Append(true)
				for j := range r {
					fb.KeyBuilder().(*array.StringBuilder).Append(fmt.Sprint("k", j))
					fb.ItemBuilder().(*array.Float64Builder).Append(float64(j) / 2)
				}
			case *array.BinaryDictionaryBuilder:
				if err := fb.AppendString([]string{"red", "green", "red"}[r]); err != nil {
					t.Fatal(err)
				}
			case *array.NullBuilder:
				fb.AppendNull()
			default:
				t.Fatalf("no values for %T", fb)
			}
		}
	}
	return b.NewRecordBatch()
}

func TestSinkGoldenAllTypes(t *testing.T) {
	h := testhost.New(t)
	rec := allTypes(t, h.Allocator())
	defer rec.Release()
	out := filepath.Join(t.TempDir(), "all.jsonl")
	got := writeRecords(t, out, rec.Schema(), rec)

	golden := filepath.Join("testdata", "all_types.jsonl")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("output differs from %s:\n%s", golden, got)
	}
	// Every line is valid JSON, with the columns in schema order.
	for i, line := range strings.Split(strings.TrimSuffix(string(got), "\n"), "\n") {
		var v map[string]any
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Errorf("line %d is not JSON: %v", i+1, err)
		}
		if len(v) != int(rec.NumCols()) {
			t.Errorf("line %d has %d keys", i+1, len(v))
		}
	}
}

func TestSinkMatchesEncodingJSONForStrings(t *testing.T) {
	h := testhost.New(t)
	b := array.NewStringBuilder(h.Allocator())
	defer b.Release()
	var values []string
	for c := range 256 {
		values = append(values, fmt.Sprintf("a%cb", c), strings.Repeat(string(rune(c)), 9))
	}
	values = append(values, "日本語のテキスト", "emoji 😀😀😀 and more text", "\u2029 separators \u2028")
	b.AppendValues(values, nil)
	col := b.NewArray()
	schema := arrow.NewSchema([]arrow.Field{{Name: "s", Type: arrow.BinaryTypes.String}}, nil)
	rec := array.NewRecordBatch(schema, []arrow.Array{col}, int64(len(values)))
	col.Release()
	defer rec.Release()
	got := writeRecords(t, filepath.Join(t.TempDir(), "s.jsonl"), schema, rec)
	lines := strings.Split(strings.TrimSuffix(string(got), "\n"), "\n")
	for i, v := range values {
		want, _ := json.Marshal(map[string]string{"s": strings.ToValidUTF8(v, "\ufffd")})
		// encoding/json escapes <, > and & for HTML; the sink does not.
		var back map[string]string
		if err := json.Unmarshal([]byte(lines[i]), &back); err != nil || back["s"] != strings.ToValidUTF8(v, "\ufffd") {
			t.Errorf("value %q: wrote %s, which reads back as %q (%v); encoding/json writes %s", v, lines[i], back["s"], err, want)
		}
	}
}

func TestSinkCommitsOnlyOnClose(t *testing.T) {
	h := testhost.New(t)
	rec := allTypes(t, h.Allocator())
	defer rec.Release()
	dir := t.TempDir()
	out := filepath.Join(dir, "new", "out.jsonl")
	snk := testhost.MustBuild[sdk.Sink](t, Sink, fmt.Sprintf("path = %q", out))
	if err := snk.Open(context.Background(), testhost.New(t), rec.Schema()); err != nil {
		t.Fatal(err)
	}
	if _, err := snk.Write(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatalf("%s exists before Close", out)
	}
	if err := snk.(interface{ Abort(context.Context) error }).Abort(context.Background()); err != nil {
		t.Fatal(err)
	}
	snk.Close(context.Background())
	entries, _ := os.ReadDir(filepath.Dir(out))
	if len(entries) != 0 {
		t.Errorf("an aborted write left %v", entries)
	}
}
