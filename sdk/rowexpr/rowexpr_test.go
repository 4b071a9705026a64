package rowexpr_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sluicedata/sluice/sdk"
	"github.com/sluicedata/sluice/sdk/rowexpr"
)

var schema = arrow.NewSchema([]arrow.Field{
	{Name: "email", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "n", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "ltv", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "active", Type: arrow.FixedWidthTypes.Boolean},
	{Name: "at", Type: &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "UTC"}, Nullable: true},
	{Name: "first name", Type: arrow.BinaryTypes.String},
}, nil)

// batch has three rows; the second has nulls in every nullable column.
func batch(mem memory.Allocator) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	b.Field(0).(*array.StringBuilder).AppendValues([]string{" A@X.com ", "", "c@x"}, []bool{true, false, true})
	b.Field(1).(*array.Int32Builder).AppendValues([]int32{1, 0, 3}, []bool{true, false, true})
	b.Field(2).(*array.Float64Builder).AppendValues([]float64{10.5, 0, 2000}, []bool{true, false, true})
	b.Field(3).(*array.BooleanBuilder).AppendValues([]bool{true, false, true}, nil)
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	b.Field(4).(*array.TimestampBuilder).AppendValues([]arrow.Timestamp{arrow.Timestamp(t0.UnixMilli()), 0, arrow.Timestamp(t0.Add(time.Hour).UnixMilli())}, []bool{true, false, true})
	b.Field(5).(*array.StringBuilder).AppendValues([]string{"Ada", "Bo", "Cy"}, nil)
	return b.NewRecordBatch()
}

func compile(t *testing.T, text string, opts ...rowexpr.Option) *rowexpr.Program {
	t.Helper()
	p, err := rowexpr.Compile(sdk.Expr{Text: text, Path: sdk.Path{"columns", "x"}}, schema, opts...)
	if err != nil {
		t.Fatalf("%s: %v", text, err)
	}
	return p
}

func TestCompileErrorsCarryPathAndPosition(t *testing.T) {
	cases := []struct {
		text     string
		opts     []rowexpr.Option
		line     int
		column   int
		contains string
	}{
		{"ltv + 'a'", nil, 1, 5, "mismatched types float64 and string"},
		{"emial == 'x'", nil, 1, 1, `unknown name emial. Did you mean "email"?`},
		{"email", []rowexpr.Option{rowexpr.AsBool()}, 0, 0, "expected bool"},
		{"active &&\n  lower(n)", nil, 2, 9, "to call lower"},
	}
	for _, c := range cases {
		_, err := rowexpr.Compile(sdk.Expr{Text: c.text, Path: sdk.Path{"where"}}, schema, c.opts...)
		var diags sdk.Diagnostics
		if !errors.As(err, &diags) || len(diags) != 1 {
			t.Errorf("%q: expected one diagnostic, got %v", c.text, err)
			continue
		}
		d := diags[0]
		pos := sdk.Pos{}
		if d.Pos != nil {
			pos = *d.Pos
		}
		if d.Path.String() != "where" || pos.Line != c.line || pos.Column != c.column || !strings.Contains(d.Detail, c.contains) {
			t.Errorf("%q: got path %v pos %+v detail %q", c.text, d.Path, d.Pos, d.Detail)
		}
	}
}

func TestFieldTypes(t *testing.T) {
	cases := map[string]string{
		"lower(email)":       "utf8",
		"n + 1":              "int64",
		"ltv * 2":            "float64",
		"active && n > 1":    "bool",
		"at":                 "timestamp[ms, tz=UTC]",
		"now()":              "timestamp[us, tz=UTC]",
		`$env["first name"]`: "utf8",
		"n":                  "int32",
		"email ?? 'none'":    "utf8",
	}
	for text, want := range cases {
		f, err := compile(t, text).Field("x")
		if err != nil {
			t.Errorf("%s: %v", text, err)
			continue
		}
		if f.Type.String() != want {
			t.Errorf("%s: type %s, want %s", text, f.Type, want)
		}
	}
	if _, err := compile(t, "email ?? 1").Field("x"); err == nil {
		t.Error("an expression of unknown type got a column type")
	}
}

func TestArraysEvaluateAndRejectRows(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec := batch(mem)
	defer rec.Release()
	ev := rowexpr.NewEvaluator(
		compile(t, "lower(trim(email))"),
		compile(t, "ltv > 1000 ? 'gold' : 'std'"),
		compile(t, "n"),
		compile(t, `$env["first name"] + "!"`),
	)
	arrs, rejects, err := ev.Arrays(rec, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		for _, a := range arrs {
			a.Release()
		}
	}()
	got := make([]string, len(arrs))
	for i, a := range arrs {
		got[i] = fmt.Sprint(a)
	}
	want := []string{`["a@x.com" (null) "c@x"]`, `["std" (null) "gold"]`, `[1 (null) 3]`, `["Ada!" (null) "Cy!"]`}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if len(rejects) != 1 || rejects[0].Row != 1 || rejects[0].Code != rowexpr.CodeEval ||
		!strings.Contains(rejects[0].Message, `columns.x = "lower(trim(email))"`) || !strings.Contains(rejects[0].Message, "use ?? to supply a default") {
		t.Errorf("rejects: %+v", rejects)
	}
	if arrs[2] != rec.Column(1) {
		t.Error("an expression naming a column did not return the column itself")
	}
}

func TestMaskAndNullDefaults(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec := batch(mem)
	defer rec.Release()
	ev := rowexpr.NewEvaluator(compile(t, "(ltv ?? 0) > 100 || email == nil", rowexpr.AsBool()))
	mask, kept, rejects := ev.Mask(rec, mem)
	defer mask.Release()
	if fmt.Sprint(mask) != "[false true true]" || kept != 2 || len(rejects) != 0 {
		t.Errorf("mask %v, kept %d, rejects %v", mask, kept, rejects)
	}
	ev = rowexpr.NewEvaluator(compile(t, "at > at", rowexpr.AsBool()))
	mask2, kept, rejects := ev.Mask(rec, mem)
	defer mask2.Release()
	if kept != 0 || len(rejects) != 1 || rejects[0].Row != 1 {
		t.Errorf("null timestamp comparison: kept %d, rejects %v", kept, rejects)
	}
}

func TestRowsPassesValuesAndColumns(t *testing.T) {
	mem := memory.NewGoAllocator()
	rec := batch(mem)
	defer rec.Release()
	p := compile(t, "at.Add(duration('1h')).Year() + n")
	if cols := p.Columns(); fmt.Sprint(cols) != "[n at]" {
		t.Errorf("columns %v", cols)
	}
	var got []any
	rejects := rowexpr.NewEvaluator(p).Rows(rec, func(row int, results []any) { got = append(got, results[0]) })
	if fmt.Sprint(got) != "[2027 2029]" || len(rejects) != 1 {
		t.Errorf("got %v, rejects %v", got, rejects)
	}
}

func BenchmarkArrays(b *testing.B) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "email", Type: arrow.BinaryTypes.String},
		{Name: "first_name", Type: arrow.BinaryTypes.String},
		{Name: "last_name", Type: arrow.BinaryTypes.String},
		{Name: "lifetime_value", Type: arrow.PrimitiveTypes.Float64},
		{Name: "is_active", Type: arrow.FixedWidthTypes.Boolean},
	}, nil)
	mem := memory.NewGoAllocator()
	rb := array.NewRecordBuilder(mem, schema)
	const rows = 16384
	for i := range rows {
		rb.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("  User%d@Example.COM ", i))
		rb.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("First%d", i))
		rb.Field(2).(*array.StringBuilder).Append(fmt.Sprintf("Last%d", i))
		rb.Field(3).(*array.Float64Builder).Append(float64(i % 2000))
		rb.Field(4).(*array.BooleanBuilder).Append(i%3 != 0)
	}
	rec := rb.NewRecordBatch()
	rb.Release()
	defer rec.Release()
	var progs []*rowexpr.Program
	for _, s := range []string{"lower(trim(email))", `first_name + " " + last_name`, `lifetime_value > 1000 ? "gold" : "std"`} {
		p, err := rowexpr.Compile(sdk.Expr{Text: s}, schema)
		if err != nil {
			b.Fatal(err)
		}
		progs = append(progs, p)
	}
	filter, _ := rowexpr.Compile(sdk.Expr{Text: "is_active && lifetime_value > 100"}, schema, rowexpr.AsBool())
	b.Run("map3", func(b *testing.B) {
		ev := rowexpr.NewEvaluator(progs...)
		b.ReportAllocs()
		for b.Loop() {
			arrs, _, _ := ev.Arrays(rec, mem)
			for _, a := range arrs {
				a.Release()
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
	})
	b.Run("filter", func(b *testing.B) {
		ev := rowexpr.NewEvaluator(filter)
		b.ReportAllocs()
		for b.Loop() {
			m, _, _ := ev.Mask(rec, mem)
			m.Release()
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
	})
}
