package plugintest_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sluicedata/sluice/sdk"
	"github.com/sluicedata/sluice/sdk/plugintest"
)

func init() {
	scenario("source", sourceSuite, "ignores-checkpoint", "resumes-at-checkpoint", "wrong-schema", "row-out-of-bounds", "good")
}

// The suite fails sources that do not resume where their checkpoint says,
// emit batches of another schema than Open reported, or reject rows that
// are not in the batch.
func TestSuiteCatchesBrokenSources(t *testing.T) {
	runScenario(t, "source/good").passes(t)
	for _, tc := range []struct {
		mode, want string
		cases      []string
	}{
		{"ignores-checkpoint", `resuming after batch 0 emitted 9 rows, want the 6 after it`, both("Source/Resume")},
		{"resumes-at-checkpoint", `resuming after batch 0 emitted 9 rows, want the 6 after it`, both("Source/Resume")},
		// Over gRPC the plugin's side of the wire refuses the batch,
		// failing the read.
		{"wrong-schema", `(?s)batch 0 has schema.*ID: type=int64.*but Open reported|differs from the one Open reported:.*ID: type=int64`, both("Source/Read")},
		{"row-out-of-bounds", `a row error names row 4 of a batch of 4 rows`, both("Source/Read")},
	} {
		t.Run(tc.mode, func(t *testing.T) { runScenario(t, "source/"+tc.mode).fails(t, tc.want, tc.cases...) })
	}
}

func sourceSuite(t *testing.T, mode string) {
	plugintest.Source(t, plugintest.SourceSuite{
		Common: plugintest.Common{
			Plugin: sdk.SourcePlugin(sdk.Info{Name: "counter"}, func(c brokenConfig) (sdk.Source, error) {
				return &counter{mode: c.Mode}, nil
			}),
			Config: `mode = "` + mode + `"`,
		},
		MinRows: 12,
	})
}

// counter emits ids 0 to 11 in three batches of four, rejecting the last
// row of each, with the batch's number as its checkpoint. Each mode but
// "good" breaks one rule.
type counter struct {
	mode string
	mem  memory.Allocator
}

var counterSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "name", Type: arrow.BinaryTypes.String},
}, nil)

func (c *counter) Open(_ context.Context, h sdk.Host) (*arrow.Schema, error) {
	c.mem = h.Allocator()
	return counterSchema, nil
}

func (c *counter) Read(ctx context.Context, from sdk.Checkpoint, emit sdk.Emitter) error {
	first := 0
	if len(from) == 1 {
		switch c.mode {
		case "ignores-checkpoint":
		case "resumes-at-checkpoint":
			first = int(from[0])
		default:
			first = int(from[0]) + 1
		}
	}
	schema := counterSchema
	if c.mode == "wrong-schema" {
		fields := schema.Fields()
		fields[0].Name = "ID"
		schema = arrow.NewSchema(fields, nil)
	}
	for batch := first; batch < 3; batch++ {
		b := array.NewRecordBuilder(c.mem, schema)
		for id := batch * 4; id < batch*4+4; id++ {
			b.Field(0).(*array.Int64Builder).Append(int64(id))
			b.Field(1).(*array.StringBuilder).Append(fmt.Sprint("row ", id))
		}
		rec := b.NewRecordBatch()
		b.Release()
		last := 3
		if c.mode == "row-out-of-bounds" {
			last = 4
		}
		err := emit.Emit(ctx, sdk.Batch{
			Record:     rec,
			Rejects:    []sdk.RowError{{Row: last, Code: "last", Message: "the last row of the batch"}},
			Checkpoint: sdk.Checkpoint{byte(batch)},
		})
		rec.Release()
		if err != nil {
			return err
		}
	}
	return nil
}

func (c *counter) Close(context.Context) error { return nil }
