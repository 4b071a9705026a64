package wire_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/zclconf/go-cty/cty"

	"github.com/sluicedata/sluice/sdk"
)

// probe is a projector that reads id, passes id and name on and computes
// double = id * 2. It records what its Process saw, on the plugin side of
// the wire. Its mode makes it break the contract on purpose.
type probeConfig struct {
	Mode string `sluice:"mode"`
}

type probe struct {
	mode string
	mem  memory.Allocator
	out  *arrow.Schema
}

// seen is what probes saw, by the plugin side.
var seen struct {
	sync.Mutex
	schemas   []string
	nameNulls []int
}

var probePlugin = sdk.TransformPlugin(sdk.Info{Name: "probe"}, func(c probeConfig) (sdk.Transform, error) {
	return &probe{mode: c.Mode}, nil
})

func (p *probe) Open(_ context.Context, h sdk.Host, in *arrow.Schema) (*arrow.Schema, error) {
	p.mem = h.Allocator()
	p.out = arrow.NewSchema(append(in.Fields(), arrow.Field{Name: "double", Type: arrow.PrimitiveTypes.Int64}), nil)
	return p.out, nil
}

func (p *probe) Columns() ([]string, []int) { return []string{"id"}, []int{0, 1, -1} }

func (p *probe) Process(_ context.Context, in arrow.RecordBatch) (sdk.Result, error) {
	seen.Lock()
	seen.schemas = append(seen.schemas, in.Schema().String())
	seen.nameNulls = append(seen.nameNulls, in.Column(1).NullN())
	seen.Unlock()
	ids := in.Column(0).(*array.Int64)
	b := array.NewInt64Builder(p.mem)
	defer b.Release()
	var rejects []sdk.RowError
	for i := range ids.Len() {
		if ids.Value(i)%5 == 4 {
			b.AppendNull()
			rejects = append(rejects, sdk.RowError{Row: i, Code: "probe.bad", Message: "ends in 4 or 9"})
			continue
		}
		b.Append(ids.Value(i) * 2)
	}
	double := b.NewArray()
	defer double.Release()
	name := in.Column(1)
	if p.mode == "copy" {
		// The same values in a new array: not what Columns promised.
		name = array.NewSlice(in.Column(1), 0, int64(in.Column(1).Len()))
		defer name.Release()
	}
	out := array.NewRecordBatch(p.out, []arrow.Array{in.Column(0), name, double}, in.NumRows())
	return sdk.Result{Out: out, Rejects: rejects}, nil
}

func (p *probe) Flush(context.Context) (sdk.Result, error) {
	if p.mode != "flushrows" {
		return sdk.Result{}, nil
	}
	p.mode = ""
	b := array.NewRecordBuilder(p.mem, p.out)
	defer b.Release()
	b.Field(0).(*array.Int64Builder).Append(1)
	b.Field(1).(*array.StringBuilder).Append("held")
	b.Field(2).(*array.Int64Builder).Append(2)
	return sdk.Result{Out: b.NewRecordBatch()}, nil
}

func (p *probe) Close(context.Context) error { return nil }

func openProbe(t *testing.T, mode string) (sdk.Transform, *memory.CheckedAllocator) {
	t.Helper()
	plugins, _ := pipe(t, 0, probePlugin)
	inst, err := plugins["transform/probe"].New(context.Background(), cty.ObjectVal(map[string]cty.Value{"mode": cty.StringVal(mode)}))
	if err != nil {
		t.Fatal(err)
	}
	local := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { local.AssertSize(t, 0) })
	tr := inst.(sdk.Transform)
	if _, err := tr.Open(context.Background(), host{local}, schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close(context.Background()) })
	return tr, local
}

// A projector's calls carry only the columns it reads: the plugin sees the
// others all null, and the output's passed columns are the engine's own
// arrays, which never crossed. The output is aligned, rejected rows and all.
func TestProjectedCallsMoveOnlyReadColumns(t *testing.T) {
	seen.Lock()
	seen.schemas, seen.nameNulls = nil, nil
	seen.Unlock()
	tr, local := openProbe(t, "")
	if reads, passes := tr.(sdk.Projector).Columns(); len(reads) != 1 || reads[0] != "id" || len(passes) != 3 || passes[2] != -1 {
		t.Errorf("the engine side's Columns() = %v, %v", reads, passes)
	}
	for _, rows := range []int{10, 1000, 10, 0, 3000} { // the placeholders grow and shrink
		in := batch(local, 0, rows, 50)
		res, err := tr.Process(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		if rows > 0 && (res.Out.NumRows() != int64(rows) || res.Out.Column(1) != in.Column(1) || res.Out.Column(0) != in.Column(0)) {
			t.Errorf("%d rows: the output is not the engine's input with a computed column: %d rows", rows, res.Out.NumRows())
		}
		if rows >= 10 && (len(res.Rejects) != rows/5 || res.Out.Column(2).ValueStr(3) != "6" || res.Out.Column(2).IsValid(4)) {
			t.Errorf("%d rows: %d rejects, double %v", rows, len(res.Rejects), res.Out.Column(2))
		}
		if res.Out != nil {
			res.Out.Release()
		}
		in.Release()
	}
	seen.Lock()
	defer seen.Unlock()
	want := []int{10, 1000, 10, 0, 3000}
	for i, nulls := range seen.nameNulls {
		if nulls != want[i] {
			t.Errorf("call %d: the plugin saw %d null names of %d: the name column crossed", i, nulls, want[i])
		}
	}
	if len(seen.schemas) != 5 || seen.schemas[0] != seen.schemas[4] || !strings.Contains(seen.schemas[0], "name: type=utf8") {
		t.Errorf("the plugin saw schemas %q, want the full input schema", seen.schemas)
	}
}

// A projector that does not pass on the very array it says it passes fails
// the call, naming the plugin: the engine would otherwise put its own
// column where the plugin meant another.
func TestBrokenProjectionFailsNamingThePlugin(t *testing.T) {
	tr, local := openProbe(t, "copy")
	in := batch(local, 0, 10, 5)
	defer in.Release()
	_, err := tr.Process(context.Background(), in)
	if err == nil || !strings.Contains(err.Error(), `plugin "probe"`) || !strings.Contains(err.Error(), `output column "name" is not input column "name" passed on unchanged`) {
		t.Fatalf("got %v", err)
	}
}

// A projector's Flush has no input to take passed columns from.
func TestProjectorFlushWithRowsFails(t *testing.T) {
	tr, _ := openProbe(t, "flushrows")
	_, err := tr.(sdk.Flusher).Flush(context.Background())
	if err == nil || !strings.Contains(err.Error(), `plugin "probe" is a projector`) {
		t.Fatalf("got %v", err)
	}
}
