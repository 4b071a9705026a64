// Command sluice-plugin-environ serves a source "environ" whose rows are
// the plugin process's environment, one variable a row, so that a test
// can see what the engine lets a plugin process inherit.
package main

import (
	"context"
	"os"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sluicedata/sluice/sdk"
	"github.com/sluicedata/sluice/sdk/serve"
)

type config struct{}

type environ struct{ host sdk.Host }

var schema = arrow.NewSchema([]arrow.Field{{Name: "variable", Type: arrow.BinaryTypes.String}}, nil)

func (e *environ) Open(_ context.Context, host sdk.Host) (*arrow.Schema, error) {
	e.host = host
	return schema, nil
}

func (e *environ) Read(ctx context.Context, _ sdk.Checkpoint, emit sdk.Emitter) error {
	b := array.NewStringBuilder(e.host.Allocator())
	defer b.Release()
	b.AppendValues(os.Environ(), nil)
	col := b.NewArray()
	defer col.Release()
	rec := array.NewRecordBatch(schema, []arrow.Array{col}, int64(col.Len()))
	defer rec.Release()
	return emit.Emit(ctx, sdk.Batch{Record: rec})
}

func (e *environ) Close(context.Context) error { return nil }

func main() {
	serve.Serve(sdk.SourcePlugin(sdk.Info{Name: "environ", Version: "0.0.1", Summary: "Emits the process's environment."},
		func(config) (sdk.Source, error) { return &environ{}, nil }))
}
