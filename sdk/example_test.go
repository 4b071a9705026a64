package sdk_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/zclconf/go-cty/cty"

	"github.com/sluicedata/sluice/sdk"
)

// upperConfig is the configuration of the example plugin: one text column.
type upperConfig struct {
	Column string `sluice:"column,required" doc:"Text column to upper-case in place."`
}

// Upper is a whole transform plugin: it upper-cases one text column.
var Upper = sdk.TransformPlugin(sdk.Info{
	Name:    "upper",
	Version: "1.0.0",
	Summary: "Upper-cases one text column.",
}, func(cfg upperConfig) (sdk.Transform, error) {
	return &upper{column: cfg.Column}, nil
})

type upper struct {
	column string
	index  int
	mem    memory.Allocator
}

// Open finds the column and says the output schema is the input's.
func (u *upper) Open(_ context.Context, host sdk.Host, in *arrow.Schema) (*arrow.Schema, error) {
	idx := in.FieldIndices(u.column)
	if len(idx) == 0 || in.Field(idx[0]).Type.ID() != arrow.STRING {
		return nil, sdk.Errorf(sdk.Path{"column"}, "the input has no text column %q", u.column)
	}
	u.index, u.mem = idx[0], host.Allocator()
	return in, nil
}

// Process builds a new column and a new batch; it does not release in.
func (u *upper) Process(_ context.Context, in arrow.RecordBatch) (sdk.Result, error) {
	src := in.Column(u.index).(*array.String)
	b := array.NewStringBuilder(u.mem)
	defer b.Release()
	for i := range src.Len() {
		if src.IsNull(i) {
			b.AppendNull()
			continue
		}
		b.Append(strings.ToUpper(src.Value(i)))
	}
	col := b.NewArray()
	defer col.Release()
	cols := append([]arrow.Array(nil), in.Columns()...)
	cols[u.index] = col
	return sdk.Result{Out: array.NewRecordBatch(in.Schema(), cols, in.NumRows())}, nil
}

func (u *upper) Close(context.Context) error { return nil }

// exampleHost is the smallest Host: what the engine lends a plugin.
type exampleHost struct{ mem memory.Allocator }

func (h exampleHost) Logger() *slog.Logger        { return slog.New(slog.DiscardHandler) }
func (h exampleHost) Allocator() memory.Allocator { return h.mem }
func (h exampleHost) Offline() bool               { return false }

// Example drives the upper plugin the way the engine does: build it from a
// configuration value, open it with the input schema, process a batch.
func Example() {
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())

	inst, err := Upper.New(ctx, cty.ObjectVal(map[string]cty.Value{"column": cty.StringVal("name")}))
	if err != nil {
		panic(err)
	}
	tr := inst.(sdk.Transform)
	schema := arrow.NewSchema([]arrow.Field{{Name: "name", Type: arrow.BinaryTypes.String}}, nil)
	if _, err := tr.Open(ctx, exampleHost{mem}, schema); err != nil {
		panic(err)
	}

	b := array.NewRecordBuilder(mem, schema)
	b.Field(0).(*array.StringBuilder).AppendValues([]string{"ada", "grace"}, nil)
	in := b.NewRecordBatch()
	b.Release()

	res, err := tr.Process(ctx, in)
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Out.Column(0))
	res.Out.Release() // the caller owns what Process returns
	in.Release()      // and still owns what it passed in
	tr.Close(ctx)
	fmt.Println("bytes leaked:", mem.CurrentAlloc())
	// Output:
	// ["ADA" "GRACE"]
	// bytes leaked: 0
}
