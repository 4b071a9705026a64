package rowexpr_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sluicedata/sluice/sdk"
	"github.com/sluicedata/sluice/sdk/rowexpr"
)

func TestColumnarOrMachine(t *testing.T) {
	columnar := []string{
		"lower(trim(email))",
		`email + " <" + $env["first name"] + ">"`,
		"ltv > 1000 ? 'gold' : 'std'",
		"active && ltv > 100",
		"n % 7 == 0 || email == nil",
		"at < at ?? at",
		"string(n) + upper(email ?? '')",
	}
	machine := []string{
		"titleCase(email)",     // a stdlib function
		"(ltv ?? 0) > 100",     // float or int: the checker cannot tell
		"at.Year()",            // a method
		"split(email, '@')[0]", // a list
		"email ?? 1",           // no single type
	}
	for _, text := range columnar {
		if !compile(t, text).Columnar() {
			t.Errorf("%s: runs on the machine", text)
		}
	}
	for _, text := range machine {
		if compile(t, text).Columnar() {
			t.Errorf("%s: runs columnar", text)
		}
	}
}

// Rows hands strings to a callback that may keep them: those the
// expression produced must not be overwritten by the next batch.
func TestRowsStringsOutliveTheBatch(t *testing.T) {
	mem := memory.NewGoAllocator()
	s := arrow.NewSchema([]arrow.Field{{Name: "s", Type: arrow.BinaryTypes.String}}, nil)
	p, err := rowexpr.Compile(sdk.Expr{Text: `lower(s) + "|" + s`}, s)
	if err != nil || !p.Columnar() {
		t.Fatal(err)
	}
	ev := rowexpr.NewEvaluator(p)
	var kept, want []string
	for i := range 3 {
		b := array.NewStringBuilder(mem)
		for j := range 4 {
			v := fmt.Sprintf("Batch%d-Row%d", i, j)
			b.Append(v)
			want = append(want, strings.ToLower(v)+"|"+v)
		}
		col := b.NewArray()
		rec := array.NewRecordBatch(s, []arrow.Array{col}, 4)
		ev.Rows(rec, func(_ int, results []any) { kept = append(kept, results[0].(string)) })
		rec.Release()
		col.Release()
		b.Release()
	}
	if fmt.Sprint(kept) != fmt.Sprint(want) {
		t.Errorf("kept %q, want %q", kept, want)
	}
}

// longBatch has rows of long strings, more than the columnar evaluator
// writes into one chunk of its arena.
func longBatch(mem memory.Allocator, rows int) arrow.RecordBatch {
	s := arrow.NewSchema([]arrow.Field{{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	b := array.NewRecordBuilder(mem, s)
	defer b.Release()
	sb := b.Field(0).(*array.StringBuilder)
	for i := range rows {
		if i%17 == 0 {
			sb.AppendNull()
			continue
		}
		sb.Append(strings.Repeat(fmt.Sprintf("Row %d Ünï ", i), 1+i%9))
	}
	return b.NewRecordBatch()
}

func TestArraysLongStrings(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec := longBatch(mem, 5000)
	defer rec.Release()
	p, err := rowexpr.Compile(sdk.Expr{Text: `upper(s) + "/" + lower(s ?? "")`}, rec.Schema())
	if err != nil || !p.Columnar() {
		t.Fatalf("%v, columnar %v", err, p.Columnar())
	}
	ev := rowexpr.NewEvaluator(p)
	for range 2 {
		arrs, rejects, err := ev.Arrays(rec, mem)
		if err != nil {
			t.Fatal(err)
		}
		got := arrs[0].(*array.String)
		in := rec.Column(0).(*array.String)
		for i := range int(rec.NumRows()) {
			if in.IsNull(i) {
				if !got.IsNull(i) {
					t.Fatalf("row %d: %q, want null", i, got.Value(i))
				}
				continue
			}
			if want := strings.ToUpper(in.Value(i)) + "/" + strings.ToLower(in.Value(i)); got.Value(i) != want {
				t.Fatalf("row %d: %q, want %q", i, got.Value(i), want)
			}
		}
		if len(rejects) != 5000/17+1 {
			t.Errorf("%d rejects", len(rejects))
		}
		arrs[0].Release()
	}
}

// The columnar evaluator allocates per batch, never per row: a filter and
// computed columns allocate as much for 100 rows as for 10000.
func TestColumnarAllocatesPerBatch(t *testing.T) {
	mem := memory.NewGoAllocator()
	s := arrow.NewSchema([]arrow.Field{
		{Name: "email", Type: arrow.BinaryTypes.String},
		{Name: "first_name", Type: arrow.BinaryTypes.String},
		{Name: "last_name", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "lifetime_value", Type: arrow.PrimitiveTypes.Float64},
		{Name: "is_active", Type: arrow.FixedWidthTypes.Boolean},
	}, nil)
	build := func(rows int) arrow.RecordBatch {
		b := array.NewRecordBuilder(mem, s)
		defer b.Release()
		for i := range rows {
			b.Field(0).(*array.StringBuilder).Append(fmt.Sprintf(" User%d@Example.COM ", i))
			b.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("First%d", i))
			b.Field(2).(*array.StringBuilder).Append(fmt.Sprintf("Last%d", i))
			b.Field(3).(*array.Float64Builder).Append(float64(i % 2000))
			b.Field(4).(*array.BooleanBuilder).Append(i%3 != 0)
		}
		return b.NewRecordBatch()
	}
	prog := func(text string, opts ...rowexpr.Option) *rowexpr.Program {
		p, err := rowexpr.Compile(sdk.Expr{Text: text}, s, opts...)
		if err != nil || !p.Columnar() {
			t.Fatalf("%s: %v", text, err)
		}
		return p
	}
	filter := rowexpr.NewEvaluator(prog("is_active && lifetime_value > 100", rowexpr.AsBool()))
	mapper := rowexpr.NewEvaluator(prog("lower(trim(email))"), prog(`first_name + " " + last_name`), prog(`lifetime_value > 1000 ? "gold" : "std"`))
	allocs := func(rows int) (float64, float64) {
		rec := build(rows)
		defer rec.Release()
		f := testing.AllocsPerRun(20, func() {
			m, _, _ := filter.Mask(rec, mem)
			m.Release()
		})
		m := testing.AllocsPerRun(20, func() {
			arrs, _, _ := mapper.Arrays(rec, mem)
			for _, a := range arrs {
				a.Release()
			}
		})
		return f, m
	}
	smallF, smallM := allocs(100)
	bigF, bigM := allocs(10000)
	if bigF > smallF || bigM > smallM {
		t.Errorf("allocations per batch: filter %v for 100 rows, %v for 10000; map %v and %v", smallF, bigF, smallM, bigM)
	}
}

// A Program is shared by the evaluators of concurrent workers.
func TestColumnarConcurrentEvaluators(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec := batch(mem)
	defer rec.Release()
	p := compile(t, `n == 1 ? lower(email) : upper(email ?? "x")`)
	var wg sync.WaitGroup
	results := make([]string, 4)
	for w := range results {
		wg.Go(func() {
			arrs, _, err := rowexpr.NewEvaluator(p).Arrays(rec, mem)
			if err != nil {
				t.Error(err)
				return
			}
			results[w] = fmt.Sprint(arrs[0])
			arrs[0].Release()
		})
	}
	wg.Wait()
	for _, r := range results {
		if r != `[" a@x.com " (null) "C@X"]` { // n is null on row 1: == of ints fails
			t.Errorf("got %s", r)
		}
	}
}
