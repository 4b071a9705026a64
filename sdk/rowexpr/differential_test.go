package rowexpr

// Differential tests: every expression the columnar evaluator runs must give,
// on every row, what expr's virtual machine gives — the same value of the
// same type, the same nil, the same failure with the same message. The tests
// generate expressions over a schema with a nullable column of each supported
// type and batches full of awkward values, and run each expression both ways
// through Rows, Arrays and Mask.

import (
	"bufio"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sluicedata/sluice/sdk"
)

var diffSchema = arrow.NewSchema([]arrow.Field{
	{Name: "s1", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "s2", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "ls", Type: arrow.BinaryTypes.LargeString, Nullable: true},
	{Name: "s 3", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "i1", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "i2", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "i3", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "u8", Type: arrow.PrimitiveTypes.Uint8, Nullable: true},
	{Name: "f1", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "f2", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "f32", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
	{Name: "b1", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
	{Name: "b2", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
	{Name: "t1", Type: &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "UTC"}, Nullable: true},
	{Name: "t2", Type: &arrow.TimestampType{Unit: arrow.Microsecond}, Nullable: true},
	{Name: "d", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
	// Types without a fast path, loaded through the machine's loader.
	{Name: "dict", Type: &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int8, ValueType: arrow.BinaryTypes.String}, Nullable: true},
	{Name: "dec", Type: &arrow.Decimal128Type{Precision: 12, Scale: 2}, Nullable: true},
	{Name: "i16", Type: arrow.PrimitiveTypes.Int16, Nullable: true},
	{Name: "u64", Type: arrow.PrimitiveTypes.Uint64, Nullable: true},
}, nil)

var (
	diffColumns = map[kind][]string{
		kindString: {"s1", "s2", "ls", `$env["s 3"]`, "dict"},
		kindInt:    {"i1", "i2", "i3", "u8", "i16", "u64"},
		kindFloat:  {"f1", "f2", "f32", "dec"},
		kindBool:   {"b1", "b2"},
		kindTime:   {"t1", "t2", "d"},
	}
	diffLiterals = map[kind][]string{
		kindString: {`""`, `"a"`, `"A b"`, `" x "`, `"Ünï"`, `"42"`, `"-7"`, `"3.5"`, `"1e3"`, `"NaN"`, `"x"`, `"ab"`},
		kindInt:    {"0", "1", "-1", "2", "7", "9223372036854775807", "(-9223372036854775807 - 1)"},
		kindFloat:  {"0.0", "0.5", "-2.5", "1e300", "1e-300", "3.0"},
		kindBool:   {"true", "false"},
	}
	diffStrings = []string{"", "a", "A", "ab", "Ab C", " x ", "  ", "Ünïcödé", "ÀB", "42", "-7", "+3", "3.5", "1e3", "NaN", "inf", "x", "a b c", "ǅ", "\t tab", "9223372036854775808", "0x1p-2", "1_000"}
	diffInts    = []int64{0, 1, -1, 2, 3, 7, -7, 100, 1000, math.MaxInt64, math.MinInt64, math.MaxInt32, 255}
	diffFloats  = []float64{0, math.Copysign(0, -1), 0.5, -2.5, 1, 3, 100.5, 1000, 1e300, -1e300, 1e-300, math.NaN(), math.Inf(1), math.Inf(-1), 4.9e-324, 0.1}
	diffTimes   = []int64{0, 1, -1, 86_400_000, 1_700_000_000_000, 1_700_000_000_000, 253_402_300_799_000}
)

// diffBatch returns a batch of n rows drawn from r; about one value in
// nullRate is null.
func diffBatch(r *rand.Rand, mem memory.Allocator, n, nullRate int) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, diffSchema)
	defer b.Release()
	null := func() bool { return nullRate > 0 && r.IntN(nullRate) == 0 }
	for range n {
		for c, f := range diffSchema.Fields() {
			fb := b.Field(c)
			if null() {
				fb.AppendNull()
				continue
			}
			switch fb := fb.(type) {
			case *array.StringBuilder:
				fb.Append(diffStrings[r.IntN(len(diffStrings))])
			case *array.LargeStringBuilder:
				fb.Append(diffStrings[r.IntN(len(diffStrings))])
			case *array.Int64Builder:
				fb.Append(diffInt(r))
			case *array.Int32Builder:
				fb.Append(int32(diffInt(r)))
			case *array.Uint8Builder:
				fb.Append(uint8(r.IntN(256)))
			case *array.Float64Builder:
				fb.Append(diffFloat(r))
			case *array.Float32Builder:
				fb.Append(float32(diffFloat(r)))
			case *array.BooleanBuilder:
				fb.Append(r.IntN(2) == 0)
			case *array.TimestampBuilder:
				ms := diffTimes[r.IntN(len(diffTimes))]
				if f.Type.(*arrow.TimestampType).Unit == arrow.Microsecond {
					ms *= 1000
				}
				fb.Append(arrow.Timestamp(ms))
			case *array.Date32Builder:
				fb.Append(arrow.Date32(diffTimes[r.IntN(len(diffTimes))] / 86_400_000))
			case *array.BinaryDictionaryBuilder:
				if err := fb.AppendString(diffStrings[r.IntN(len(diffStrings))]); err != nil {
					panic(err)
				}
			case *array.Decimal128Builder:
				fb.Append(decimal128.FromI64(diffInt(r) % 1_000_000_000))
			case *array.Int16Builder:
				fb.Append(int16(diffInt(r)))
			case *array.Uint64Builder:
				fb.Append(uint64(diffInt(r)))
			default:
				panic(fmt.Sprintf("no generator for %T", fb))
			}
		}
	}
	return b.NewRecordBatch()
}

func diffInt(r *rand.Rand) int64 {
	if r.IntN(3) == 0 {
		return r.Int64N(2001) - 1000
	}
	return diffInts[r.IntN(len(diffInts))]
}

func diffFloat(r *rand.Rand) float64 {
	if r.IntN(3) == 0 {
		return (r.Float64() - 0.5) * 4000
	}
	return diffFloats[r.IntN(len(diffFloats))]
}

// diffBatches returns batches of several sizes, with and without nulls,
// and one that is a slice of a bigger one (its columns have an offset),
// for one evaluator to run one after the other.
func diffBatches(seed uint64, mem memory.Allocator) []arrow.RecordBatch {
	r := rand.New(rand.NewPCG(seed, 7))
	whole := diffBatch(r, mem, 90, 4)
	sliced := whole.NewSlice(13, 77)
	whole.Release()
	return []arrow.RecordBatch{
		diffBatch(r, mem, 40, 3),
		diffBatch(r, mem, 200, 5),
		diffBatch(r, mem, 5, 0),
		diffBatch(r, mem, 0, 2),
		sliced,
		diffBatch(r, mem, 60, 0),
	}
}

// exprGen writes random expressions of a given kind that type-check against
// diffSchema, mostly of the shapes the columnar evaluator implements.
type exprGen struct{ r *rand.Rand }

func (g *exprGen) pick(xs ...string) string { return xs[g.r.IntN(len(xs))] }

func (g *exprGen) leaf(k kind) string {
	if g.r.IntN(3) == 0 && len(diffLiterals[k]) > 0 {
		return g.pick(diffLiterals[k]...)
	}
	return g.pick(diffColumns[k]...)
}

func (g *exprGen) number(depth int) (string, kind) {
	if g.r.IntN(2) == 0 {
		return g.expr(kindInt, depth), kindInt
	}
	return g.expr(kindFloat, depth), kindFloat
}

func (g *exprGen) any(depth int) string {
	return g.expr([]kind{kindString, kindInt, kindFloat, kindBool, kindTime}[g.r.IntN(5)], depth)
}

// orNil is e, or sometimes nil in its place.
func (g *exprGen) orNil(k kind, depth int) string {
	if g.r.IntN(5) == 0 {
		return "nil"
	}
	return g.expr(k, depth)
}

func (g *exprGen) expr(k kind, depth int) string {
	if depth <= 0 || g.r.IntN(4) == 0 {
		return g.leaf(k)
	}
	d := depth - 1
	e := func(k kind) string { return g.expr(k, d) }
	cond := func() string { return fmt.Sprintf("(%s ? %s : %s)", e(kindBool), g.orNil(k, d), g.orNil(k, d)) }
	coalesce := func() string { return fmt.Sprintf("(%s ?? %s)", g.orNil(k, d), e(k)) }
	switch k {
	case kindString:
		switch g.r.IntN(12) {
		case 0:
			return fmt.Sprintf("%s(%s)", g.pick("lower", "upper", "trim", "trimPrefix", "trimSuffix"), e(kindString))
		case 1:
			return fmt.Sprintf("%s(%s, %s)", g.pick("trim", "trimPrefix", "trimSuffix"), e(kindString), e(kindString))
		case 2:
			return fmt.Sprintf("replace(%s, %s, %s)", e(kindString), e(kindString), e(kindString))
		case 3, 4:
			return fmt.Sprintf("(%s + %s)", e(kindString), e(kindString))
		case 5:
			return fmt.Sprintf("(%s + %s + %s)", e(kindString), g.pick(`" "`, `""`, e(kindString)), e(kindString))
		case 6:
			return fmt.Sprintf("string(%s)", g.any(d))
		case 7:
			return "string(nil)"
		case 8, 9:
			return cond()
		default:
			return coalesce()
		}
	case kindInt:
		switch g.r.IntN(12) {
		case 0, 1:
			return fmt.Sprintf("(%s %s %s)", e(kindInt), g.pick("+", "-", "*", "%"), e(kindInt))
		case 2:
			return fmt.Sprintf("(%s%s)", g.pick("-", "+"), e(kindInt))
		case 3:
			return fmt.Sprintf("len(%s)", e(kindString))
		case 4:
			return fmt.Sprintf("abs(%s)", e(kindInt))
		case 5:
			return fmt.Sprintf("int(%s)", g.pick(e(kindInt), e(kindFloat), e(kindString)))
		case 6:
			return fmt.Sprintf("%s(%s, %s)", g.pick("indexOf", "lastIndexOf"), e(kindString), e(kindString))
		case 7, 8:
			return cond()
		default:
			return coalesce()
		}
	case kindFloat:
		switch g.r.IntN(12) {
		case 0, 1:
			l, lk := g.number(d)
			r, rk := g.number(d)
			if lk == kindInt && rk == kindInt {
				return fmt.Sprintf("(%s %s %s)", l, g.pick("/", "**", "^"), r)
			}
			return fmt.Sprintf("(%s %s %s)", l, g.pick("+", "-", "*", "/", "**"), r)
		case 2:
			return fmt.Sprintf("(-%s)", e(kindFloat))
		case 3:
			return fmt.Sprintf("abs(%s)", e(kindFloat))
		case 4:
			n, _ := g.number(d)
			return fmt.Sprintf("%s(%s)", g.pick("ceil", "floor", "round"), n)
		case 5:
			return fmt.Sprintf("float(%s)", g.pick(e(kindInt), e(kindFloat), e(kindString)))
		case 6, 7, 8:
			return cond()
		default:
			return coalesce()
		}
	case kindBool:
		switch g.r.IntN(16) {
		case 0:
			return fmt.Sprintf("(%s%s)", g.pick("!", "not "), e(kindBool))
		case 1, 2:
			return fmt.Sprintf("(%s %s %s)", e(kindBool), g.pick("&&", "||", "and", "or"), e(kindBool))
		case 3:
			l, _ := g.number(d)
			r, _ := g.number(d)
			return fmt.Sprintf("(%s %s %s)", l, g.pick("<", ">", "<=", ">="), r)
		case 4:
			k := []kind{kindString, kindTime}[g.r.IntN(2)]
			return fmt.Sprintf("(%s %s %s)", e(k), g.pick("<", ">", "<=", ">="), e(k))
		case 5, 6:
			l, r := g.comparable(d)
			return fmt.Sprintf("(%s %s %s)", l, g.pick("==", "!="), r)
		case 7:
			return "(" + g.inList(d) + ")"
		case 8:
			return fmt.Sprintf("(%s %s %s)", g.orNil(kindString, d), g.pick("contains", "startsWith", "endsWith", "not contains"), g.orNil(kindString, d))
		case 9:
			return fmt.Sprintf("(%s matches %s)", g.orNil(kindString, d), g.pick(`"^[a-z]+$"`, `"\\d"`, `"(?i)ab"`, `""`))
		case 10:
			return fmt.Sprintf("%s(%s, %s)", g.pick("hasPrefix", "hasSuffix"), e(kindString), e(kindString))
		case 11:
			return fmt.Sprintf("(%s in %s..%s)", e(kindInt), g.pick("1", "-1"), g.pick("5", "1000"))
		case 12:
			return fmt.Sprintf("(%s < %s < %s)", g.pick("0", "-1.5"), e(kindInt), g.pick("10", "7.5"))
		case 13:
			return cond()
		default:
			return coalesce()
		}
	case kindTime:
		if g.r.IntN(2) == 0 {
			return cond()
		}
		return coalesce()
	}
	panic("no kind")
}

// comparable returns two operands that == accepts.
func (g *exprGen) comparable(d int) (string, string) {
	switch g.r.IntN(4) {
	case 0:
		l, _ := g.number(d)
		r, _ := g.number(d)
		return l, r
	case 1:
		k := []kind{kindString, kindInt, kindFloat, kindBool, kindTime}[g.r.IntN(5)]
		return g.expr(k, d), g.expr(k, d)
	case 2:
		return g.any(d), "nil"
	default:
		return "nil", g.pick(g.any(d), "nil")
	}
}

func (g *exprGen) inList(d int) string {
	switch g.r.IntN(6) {
	case 0:
		return g.orNil(kindString, d) + ` in ["a", "", "x"]`
	case 1:
		return g.orNil(kindInt, d) + " in [0, 1, 7]"
	case 2:
		return g.pick(g.expr(kindInt, d), g.expr(kindFloat, d)) + " in [0, 1, 2.5]"
	case 3:
		return g.expr(kindString, d) + ` not in ["a", "ab"]`
	case 4:
		return g.expr(kindBool, d) + " in [true]"
	default:
		return g.pick(g.expr(kindFloat, d), "nil") + " in [0.5, 3]"
	}
}

// differ compares the two evaluators' results for programs over batches,
// batch after batch with the same evaluators, and reports the first
// difference.
type differ struct {
	t      testing.TB
	mem    *memory.CheckedAllocator
	errors int
}

func (d *differ) errorf(format string, args ...any) {
	d.t.Helper()
	d.errors++
	d.t.Errorf(format, args...)
}

func (d *differ) compare(label string, programs []*Program, batches []arrow.RecordBatch, mask bool) bool {
	d.t.Helper()
	vmEv, colEv := newEvaluator(false, programs), newEvaluator(true, programs)
	for bi, rec := range batches {
		where := fmt.Sprintf("%s, batch %d (%d rows)", label, bi, rec.NumRows())
		if !d.rows(where, vmEv, colEv, rec) || !d.arrays(where, programs, vmEv, colEv, rec) {
			return false
		}
		if mask && !d.mask(where, vmEv, colEv, rec) {
			return false
		}
		if len(colEv.demoted) > 0 {
			d.errorf("%s: the columnar evaluator panicked: %v", where, colEv.demoted)
			return false
		}
	}
	return true
}

func (d *differ) rows(where string, vmEv, colEv *Evaluator, rec arrow.RecordBatch) bool {
	d.t.Helper()
	collect := func(ev *Evaluator) ([]string, []sdk.RowError) {
		var got []string
		rejects := ev.Rows(rec, func(row int, results []any) {
			got = append(got, fmt.Sprintf("row %d: %s", row, describeValues(results)))
		})
		return got, rejects
	}
	want, wantRej := collect(vmEv)
	got, gotRej := collect(colEv)
	if i, differ := firstDifference(got, want); differ {
		d.errorf("%s: Rows, result %d:\n columnar %s\n machine  %s", where, i, at(got, i), at(want, i))
		return false
	}
	return d.rejects(where+": Rows", gotRej, wantRej)
}

func (d *differ) rejects(where string, got, want []sdk.RowError) bool {
	d.t.Helper()
	if i, differ := firstDifference(got, want); differ {
		d.errorf("%s: row error %d:\n columnar %v\n machine  %v", where, i, at(got, i), at(want, i))
		return false
	}
	return true
}

// firstDifference returns the index of the first element that differs
// between got and want, or where one ends before the other.
func firstDifference[T any](got, want []T) (int, bool) {
	for i := range max(len(got), len(want)) {
		if i >= len(got) || i >= len(want) || !reflect.DeepEqual(got[i], want[i]) {
			return i, true
		}
	}
	return 0, false
}

func at[T any](xs []T, i int) any {
	if i < len(xs) {
		return xs[i]
	}
	return "(none)"
}

func (d *differ) arrays(where string, programs []*Program, vmEv, colEv *Evaluator, rec arrow.RecordBatch) bool {
	d.t.Helper()
	for _, p := range programs {
		if _, err := p.Field("x"); err != nil {
			return true // no column type: Arrays refuses it both ways
		}
	}
	want, wantRej, err := vmEv.Arrays(rec, d.mem)
	if err != nil {
		d.t.Fatalf("%s: machine Arrays: %v", where, err)
	}
	defer releaseAll(want)
	got, gotRej, err := colEv.Arrays(rec, d.mem)
	if err != nil {
		d.errorf("%s: columnar Arrays: %v", where, err)
		return false
	}
	defer releaseAll(got)
	for j := range want {
		if !arrow.TypeEqual(got[j].DataType(), want[j].DataType()) {
			d.errorf("%s: Arrays[%d]: columnar %s, machine %s", where, j, got[j].DataType(), want[j].DataType())
			return false
		}
		g, w := describeArray(got[j]), describeArray(want[j])
		if i, differ := firstDifference(g, w); differ {
			d.errorf("%s: Arrays[%d], row %d:\n columnar %s\n machine  %s", where, j, i, at(g, i), at(w, i))
			return false
		}
	}
	return d.rejects(where+": Arrays", gotRej, wantRej)
}

func (d *differ) mask(where string, vmEv, colEv *Evaluator, rec arrow.RecordBatch) bool {
	d.t.Helper()
	want, wantKept, wantRej := vmEv.Mask(rec, d.mem)
	defer want.Release()
	got, gotKept, gotRej := colEv.Mask(rec, d.mem)
	defer got.Release()
	g, w := describeArray(got), describeArray(want)
	if i, differ := firstDifference(g, w); differ || gotKept != wantKept {
		d.errorf("%s: Mask, row %d:\n columnar %s (%d kept)\n machine  %s (%d kept)", where, i, at(g, i), gotKept, at(w, i), wantKept)
		return false
	}
	return d.rejects(where+": Mask", gotRej, wantRej)
}

func releaseAll(arrs []arrow.Array) {
	for _, a := range arrs {
		a.Release()
	}
}

// describeValues writes values with their Go types, floats by their bits.
func describeValues(values []any) string {
	var b strings.Builder
	for _, v := range values {
		switch x := v.(type) {
		case float64:
			fmt.Fprintf(&b, "float64(%v %#x) ", x, math.Float64bits(x))
		case time.Time:
			fmt.Fprintf(&b, "time(%s %s) ", x.Format(time.RFC3339Nano), x.Location())
		default:
			fmt.Fprintf(&b, "%T(%q) ", v, fmt.Sprint(v))
		}
	}
	return b.String()
}

// describeArray writes each value of a, floats by their bits.
func describeArray(a arrow.Array) []string {
	out := make([]string, a.Len())
	for i := range a.Len() {
		if a.IsNull(i) {
			out[i] = "null"
			continue
		}
		switch a := a.(type) {
		case *array.Float64:
			out[i] = fmt.Sprintf("%v %#x", a.Value(i), math.Float64bits(a.Value(i)))
		case *array.String:
			out[i] = fmt.Sprintf("%q", a.Value(i))
		default:
			out[i] = a.ValueStr(i)
		}
	}
	return out
}

// compileBoth compiles text as a column and, if it is a bool, as a
// condition; it returns nil if it does not compile.
func compileBoth(text string) (asValue, asCondition *Program) {
	e := sdk.Expr{Text: text, Path: sdk.Path{"columns", "x"}}
	p, err := Compile(e, diffSchema)
	if err != nil {
		return nil, nil
	}
	if p.Type() == typeBool {
		asCondition, _ = Compile(sdk.Expr{Text: text, Path: sdk.Path{"where"}}, diffSchema, AsBool())
	}
	return p, asCondition
}

// checkExpression compares the two evaluators on text. It reports whether
// the expression compiled and ran columnar.
func (d *differ) checkExpression(text string, batches []arrow.RecordBatch) (columnar bool) {
	d.t.Helper()
	p, cond := compileBoth(text)
	if p == nil || !p.Columnar() {
		return false
	}
	if !d.compare(text, []*Program{p}, batches, false) {
		return true
	}
	if cond != nil {
		d.compare(text+" (condition)", []*Program{cond}, batches, true)
	}
	return true
}

// machineOnly are expressions only the machine runs, to mix with columnar
// ones in one evaluator; titleCase fails on nil.
var machineOnly = []string{`titleCase(s1)`, `titleCase(s2 ?? "x") + string(i1)`, `parseInt(s1 ?? "1")`}

func TestColumnarMatchesMachine(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	batches := diffBatches(1, mem)
	defer releaseAll2(batches)
	d := &differ{t: t, mem: mem}
	r := rand.New(rand.NewPCG(42, 42))
	g := &exprGen{r: r}
	count := 4000
	if raceEnabled {
		count = 500
	}
	columnar := 0
	for i := 0; i < count && d.errors < 10; i++ {
		k := []kind{kindString, kindInt, kindFloat, kindBool, kindBool, kindTime}[r.IntN(6)]
		text := g.expr(k, 1+r.IntN(4))
		if d.checkExpression(text, batches) {
			columnar++
		} else if p, _ := compileBoth(text); p != nil {
			t.Logf("runs on the machine: %s (%s)", text, p.vmOnly)
		}
	}
	// The generator writes what the columnar evaluator implements: nearly
	// every expression must have been compared.
	if columnar < count*9/10 {
		t.Errorf("only %d of %d expressions ran columnar", columnar, count)
	}
}

// TestColumnarMixedWithMachine evaluates columnar programs and machine ones
// in one evaluator: a row fails for the first program, in order, that fails
// on it, and is null in every array.
func TestColumnarMixedWithMachine(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	batches := diffBatches(2, mem)
	defer releaseAll2(batches)
	d := &differ{t: t, mem: mem}
	r := rand.New(rand.NewPCG(3, 4))
	g := &exprGen{r: r}
	count := 300
	if raceEnabled {
		count = 50
	}
	for range count {
		var programs []*Program
		var texts []string
		for len(programs) < 3 {
			text := g.expr([]kind{kindString, kindInt, kindFloat, kindBool}[r.IntN(4)], 1+r.IntN(3))
			if r.IntN(3) == 0 {
				text = machineOnly[r.IntN(len(machineOnly))]
			}
			if r.IntN(8) == 0 {
				text = g.pick(diffColumns[kindString]...) // a column as it is
			}
			p, _ := compileBoth(text)
			if p == nil {
				continue
			}
			if _, err := p.Field("x"); err != nil {
				continue
			}
			programs = append(programs, p)
			texts = append(texts, text)
		}
		if !d.compare(fmt.Sprintf("%q", texts), programs, batches, false) && d.errors >= 10 {
			return
		}
	}
}

// panicOp stands for a bug in an op.
type panicOp struct{}

func (panicOp) eval(*batch, []int32) *vector { panic("a bug") }

// A columnar program that panics is handed to the machine, which gives the
// right results.
func TestColumnarPanicDemotesToMachine(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	batches := diffBatches(4, mem)
	defer releaseAll2(batches)
	d := &differ{t: t, mem: mem}
	for _, text := range []string{"lower(s1) + s2", "i1 > 3 || b1"} {
		p, cond := compileBoth(text)
		for _, p := range []*Program{p, cond} {
			if p == nil {
				continue
			}
			vmEv, colEv := newEvaluator(false, []*Program{p}), newEvaluator(true, []*Program{p})
			colEv.columnar[0] = panicOp{}
			for bi, rec := range batches {
				// Each entry point is the first to meet the panic once.
				where := fmt.Sprintf("%s, batch %d", text, bi)
				if p.asBool {
					d.mask(where, vmEv, colEv, rec)
				}
				d.arrays(where, []*Program{p}, vmEv, colEv, rec)
				d.rows(where, vmEv, colEv, rec)
			}
			if len(colEv.demoted) != 1 || !strings.Contains(colEv.demoted[0], "a bug") {
				t.Errorf("%s: demoted %v", text, colEv.demoted)
			}
		}
	}
}

// TestColumnarCorpus runs the expressions of testdata/columnar-corpus.txt,
// the cases worth keeping — the shapes pipelines use, the corners of expr's
// semantics, and what the fuzzer found — and checks that each runs
// columnar, or on the machine when its line says "# machine".
func TestColumnarCorpus(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	batches := diffBatches(3, mem)
	defer releaseAll2(batches)
	d := &differ{t: t, mem: mem}
	for _, c := range readCorpus(t) {
		p, _ := compileBoth(c.text)
		if p == nil {
			t.Errorf("%s: does not compile", c.text)
			continue
		}
		if p.Columnar() == c.machine {
			t.Errorf("%s: columnar is %v (%s)", c.text, p.Columnar(), p.vmOnly)
		}
		d.checkExpression(c.text, batches)
	}
}

type corpusCase struct {
	text    string
	machine bool
}

func readCorpus(t testing.TB) []corpusCase {
	f, err := os.Open("testdata/columnar-corpus.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cases []corpusCase
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		text, comment, _ := strings.Cut(line, " # ")
		cases = append(cases, corpusCase{text: strings.TrimSpace(text), machine: strings.Contains(comment, "machine")})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return cases
}

// FuzzColumnar compares the two evaluators on any expression text that
// compiles to a columnar program, over batches drawn from seed.
func FuzzColumnar(f *testing.F) {
	for _, c := range readCorpus(f) {
		f.Add(c.text, uint64(1))
	}
	f.Fuzz(func(t *testing.T, text string, seed uint64) {
		p, _ := compileBoth(text)
		if p == nil || !p.Columnar() {
			return
		}
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		batches := diffBatches(seed, mem)
		defer releaseAll2(batches)
		(&differ{t: t, mem: mem}).checkExpression(text, batches)
	})
}

func releaseAll2(recs []arrow.RecordBatch) {
	for _, r := range recs {
		r.Release()
	}
}
