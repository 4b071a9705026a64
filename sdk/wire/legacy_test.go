package wire

import (
	"context"
	"log/slog"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/zclconf/go-cty/cty"

	"github.com/sluicedata/sluice/plugins/filter"
	"github.com/sluicedata/sluice/plugins/mapper"
	"github.com/sluicedata/sluice/sdk"
)

type testHost struct{ mem memory.Allocator }

func (h testHost) Logger() *slog.Logger        { return slog.New(slog.DiscardHandler) }
func (h testHost) Allocator() memory.Allocator { return h.mem }
func (h testHost) Offline() bool               { return false }

// An engine that predates Keep and aligned Out does not say columnar, nor
// headed_frames: the plugin side then applies Keep and drops an aligned
// Out's rejected rows itself, sends whole batches both ways, and sends each
// batch header as a message of its own.
func TestAnOlderEngineGetsRows(t *testing.T) {
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	c, stop, err := Pipe([]sdk.Plugin{filter.Transform, mapper.Transform}, ServerOptions{Allocator: mem}, ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	c.columnar, c.headed = false, false
	plugins, err := c.Plugins(ctx)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]sdk.Plugin{}
	for _, p := range plugins {
		byName[p.Info().Name] = p
	}
	schema := arrow.NewSchema([]arrow.Field{{Name: "n", Type: arrow.PrimitiveTypes.Int64}, {Name: "s", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	b := array.NewRecordBuilder(mem, schema)
	b.Field(0).(*array.Int64Builder).AppendValues([]int64{1, 2, 3, 4}, nil)
	b.Field(1).(*array.StringBuilder).AppendValues([]string{"a", "", "c", "d"}, []bool{true, false, true, true})
	in := b.NewRecordBatch()
	b.Release()
	defer in.Release()

	open := func(name string, cfg map[string]cty.Value) sdk.Transform {
		inst, err := byName[name].New(ctx, cty.ObjectVal(cfg))
		if err != nil {
			t.Fatal(err)
		}
		tr := inst.(sdk.Transform)
		if _, err := tr.Open(ctx, testHost{mem}, schema); err != nil {
			t.Fatal(err)
		}
		if _, passes := tr.(sdk.Projector).Columns(); passes != nil {
			t.Errorf("%s: projected for an engine that did not ask", name)
		}
		return tr
	}
	f := open("filter", map[string]cty.Value{"where": cty.StringVal("n % 2 == 1")})
	defer f.Close(ctx)
	res, err := f.Process(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if res.Keep != nil || res.Out == nil || res.Out.NumRows() != 2 || res.Filtered != 2 {
		t.Errorf("filter: keep %v, out %v, filtered %d", res.Keep, res.Out, res.Filtered)
	}
	if res.Out != nil {
		res.Out.Release()
	}

	m := open("map", map[string]cty.Value{
		"columns": cty.MapVal(map[string]cty.Value{"u": cty.StringVal("upper(s)")}),
		"drop":    cty.NullVal(cty.List(cty.String)), "keep": cty.NullVal(cty.List(cty.String)), "rename": cty.NullVal(cty.Map(cty.String)),
	})
	defer m.Close(ctx)
	res, err = m.Process(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if res.Out == nil || res.Out.NumRows() != 3 || len(res.Rejects) != 1 || res.Out.Column(2).ValueStr(1) != "C" {
		t.Errorf("map: out %v, rejects %v", res.Out, res.Rejects)
	}
	if res.Out != nil {
		res.Out.Release()
	}
}
