package wire_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/zclconf/go-cty/cty"

	"github.com/sluicedata/sluice/plugins/filter"
	"github.com/sluicedata/sluice/plugins/mapper"
	memplugin "github.com/sluicedata/sluice/plugins/memory"
	"github.com/sluicedata/sluice/sdk"
	"github.com/sluicedata/sluice/sdk/wire"
)

type host struct{ mem memory.Allocator }

func (h host) Logger() *slog.Logger        { return slog.New(slog.DiscardHandler) }
func (h host) Allocator() memory.Allocator { return h.mem }
func (h host) Offline() bool               { return false }

var schema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

// batch builds rows ids [from, to), each with a name of width bytes.
func batch(mem memory.Allocator, from, to, width int) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for i := from; i < to; i++ {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		b.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("%0*d", width, i))
	}
	return b.NewRecordBatch()
}

func pipe(t *testing.T, maxMessage int, plugins ...sdk.Plugin) (map[string]sdk.Plugin, *memory.CheckedAllocator) {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	c, stop, err := wire.Pipe(plugins, wire.ServerOptions{Allocator: mem, MaxMessageBytes: maxMessage}, wire.ClientOptions{Label: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stop()
		mem.AssertSize(t, 0)
	})
	remote, err := c.Plugins(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]sdk.Plugin{}
	for _, p := range remote {
		out[string(p.Kind())+"/"+p.Info().Name] = p
	}
	return out, mem
}

type collector struct {
	mu   sync.Mutex
	recs []arrow.RecordBatch
	cps  []sdk.Checkpoint
}

func (c *collector) Emit(_ context.Context, b sdk.Batch) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	b.Record.Retain()
	c.recs = append(c.recs, b.Record)
	c.cps = append(c.cps, b.Checkpoint)
	return nil
}

func (c *collector) release() {
	for _, r := range c.recs {
		r.Release()
	}
}

// A batch far larger than the message limit crosses split, and arrives
// whole, in both directions.
func TestLargeBatchesAreSplitNotDropped(t *testing.T) {
	ctx := context.Background()
	local := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer local.AssertSize(t, 0)
	store := memplugin.NewStore()
	defer store.Clear()
	big := batch(local, 0, 20_000, 100) // about 2 MB
	store.Put("t", schema, big)
	big.Release()

	plugins, _ := pipe(t, 64<<10, store.Source(), mapper.Transform, store.Sink())
	src, err := plugins["source/memory"].New(ctx, cty.ObjectVal(map[string]cty.Value{"table": cty.StringVal("t")}))
	if err != nil {
		t.Fatal(err)
	}
	s := src.(sdk.Source)
	if _, err := s.Open(ctx, host{local}); err != nil {
		t.Fatal(err)
	}
	var c collector
	defer c.release()
	if err := s.Read(ctx, nil, &c); err != nil {
		t.Fatal(err)
	}
	s.Close(ctx)
	if len(c.recs) != 1 || c.recs[0].NumRows() != 20_000 {
		t.Fatalf("got %d batches, first of %d rows", len(c.recs), c.recs[0].NumRows())
	}

	// The map reads name and computes a column as large: both directions
	// carry about 2 MB.
	tr, err := plugins["transform/map"].New(ctx, cty.ObjectVal(map[string]cty.Value{
		"columns": cty.MapVal(map[string]cty.Value{"copy": cty.StringVal("name + '!'")}),
		"drop":    cty.NullVal(cty.List(cty.String)), "keep": cty.NullVal(cty.List(cty.String)), "rename": cty.NullVal(cty.Map(cty.String)),
	}))
	if err != nil {
		t.Fatal(err)
	}
	mt := tr.(sdk.Transform)
	if _, err := mt.Open(ctx, host{local}, schema); err != nil {
		t.Fatal(err)
	}
	defer mt.Close(ctx)
	res, err := mt.Process(ctx, c.recs[0])
	if err != nil {
		t.Fatal(err)
	}
	defer res.Out.Release()
	if res.Out.NumRows() != 20_000 {
		t.Fatalf("out %d rows", res.Out.NumRows())
	}
	if got := res.Out.Column(2).ValueStr(19_999); got != fmt.Sprintf("%0100d!", 19_999) {
		t.Fatalf("last row %q", got)
	}
}

// Diagnostics keep their path and position across the wire.
func TestDiagnosticsCrossWithPaths(t *testing.T) {
	ctx := context.Background()
	plugins, mem := pipe(t, 0, filter.Transform)
	tr, err := plugins["transform/filter"].New(ctx, cty.ObjectVal(map[string]cty.Value{"where": cty.StringVal("id +")}))
	if err != nil {
		t.Fatal(err)
	}
	_, err = tr.(sdk.Transform).Open(ctx, host{mem}, schema)
	var ds sdk.Diagnostics
	if !errors.As(err, &ds) || len(ds) == 0 || ds[0].Path.String() != "where" || ds[0].Pos == nil {
		t.Fatalf("got %#v", err)
	}
	if err := tr.(sdk.Transform).Close(ctx); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ds.Error(), "where") {
		t.Fatal(ds.Error())
	}
}
