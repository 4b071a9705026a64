package plugintest_test

import (
	"context"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sluicedata/sluice/sdk"
	"github.com/sluicedata/sluice/sdk/plugintest"
)

func init() {
	scenario("projector", projectorSuite, "reads-unnamed", "copies-passed", "keeps-rejected", "good")
	scenario("transform", transformSuite, "modifies-input", "leaks-memory", "leaks-goroutine", "wrong-schema", "row-out-of-bounds", "good")
}

// The suite fails transforms that break the contract of Keep and
// sdk.Projector, saying how.
func TestSuiteCatchesBrokenProjectors(t *testing.T) {
	runScenario(t, "projector/good").passes(t)
	for mode, want := range map[string]string{
		"reads-unnamed":  `reads a column Columns\(\) does not name`,
		"copies-passed":  `is not input column "name" passed on unchanged`,
		"keeps-rejected": `a rejected row must be false in Keep`,
	} {
		t.Run(mode, func(t *testing.T) {
			o := runScenario(t, "projector/"+mode)
			cases := both("Transform/Process")
			if mode == "reads-unnamed" {
				// Over gRPC the unnamed columns are null: the plugin
				// sees what the check gives it in process.
				cases = cases[:1]
			}
			o.fails(t, want, cases...)
		})
	}
}

// The suite fails transforms that break the rules every transform keeps,
// in each mode where the rule can be seen.
func TestSuiteCatchesBrokenTransforms(t *testing.T) {
	runScenario(t, "transform/good").passes(t)
	for _, tc := range []struct {
		mode, want string
		cases      []string
	}{
		// Over gRPC the plugin modifies its own copy of the batch, which
		// the engine never sees again.
		{"modifies-input", `Process modified its input batch 0`, []string{"in-process/Transform/Process"}},
		{"leaks-memory", `leaked Arrow memory: \d+ bytes`, both("Transform/Process")},
		{"leaks-goroutine", `(?s)leaked goroutines.*passthrough`, both("Lifecycle/OpenClose")},
		// Over gRPC the plugin's side of the wire refuses the batch,
		// failing the call.
		{"wrong-schema", `(?s)schema.*ID: type=int64.*differs from the one Open reported|differs from the one Open reported:.*ID: type=int64`, both("Transform/Process")},
		{"row-out-of-bounds", `a row error names row 7 of a batch of 7 rows`, both("Transform/Process")},
	} {
		t.Run(tc.mode, func(t *testing.T) { runScenario(t, "transform/"+tc.mode).fails(t, tc.want, tc.cases...) })
	}
}

func projectorSuite(t *testing.T, mode string) {
	plugintest.Transform(t, plugintest.TransformSuite{
		Common: plugintest.Common{
			Plugin: sdk.TransformPlugin(sdk.Info{Name: "broken"}, func(c brokenConfig) (sdk.Transform, error) {
				return &broken{mode: c.Mode}, nil
			}),
			Config:     `mode = "` + mode + `"`,
			BadConfigs: []plugintest.BadConfig{{HCL: `mode = 1 + "x"`}},
		},
		Input: plugintest.SampleBatches,
	})
}

type brokenConfig struct {
	Mode string `sluice:"mode,required"`
}

// broken keeps the rows whose id is even, as a Projector that reads id and
// passes every column on; each mode breaks one rule.
type broken struct {
	mode string
	mem  memory.Allocator
}

func (b *broken) Open(_ context.Context, h sdk.Host, in *arrow.Schema) (*arrow.Schema, error) {
	b.mem = h.Allocator()
	return in, nil
}

func (b *broken) Columns() ([]string, []int) { return []string{"id"}, []int{0, 1, 2, 3} }

func (b *broken) Process(_ context.Context, in arrow.RecordBatch) (sdk.Result, error) {
	ids, names := in.Column(0).(*array.Int64), in.Column(1)
	keep := array.NewBooleanBuilder(b.mem)
	defer keep.Release()
	var res sdk.Result
	for i := range ids.Len() {
		k := ids.Value(i)%2 == 0
		switch b.mode {
		case "reads-unnamed":
			k = k && names.IsValid(i) // name is not among the columns read
		case "keeps-rejected":
			if i == 0 {
				res.Rejects = append(res.Rejects, sdk.RowError{Row: 0, Code: "broken", Message: "the first row"})
				keep.Append(true)
				continue
			}
		}
		if !k {
			res.Filtered++
		}
		keep.Append(k)
	}
	if b.mode != "copies-passed" {
		res.Keep = keep.NewBooleanArray()
		return res, nil
	}
	// An aligned Out with a copy of a column it says it passes on.
	copied, err := array.Concatenate([]arrow.Array{names}, b.mem)
	if err != nil {
		return sdk.Result{}, err
	}
	defer copied.Release()
	cols := append([]arrow.Array(nil), in.Columns()...)
	cols[1] = copied
	return sdk.Result{Out: array.NewRecordBatch(in.Schema(), cols, in.NumRows())}, nil
}

func (b *broken) Close(context.Context) error { return nil }

// transformSuite runs the suite on a passthrough in mode.
func transformSuite(t *testing.T, mode string) {
	plugintest.Transform(t, plugintest.TransformSuite{
		Common: plugintest.Common{
			Plugin: sdk.TransformPlugin(sdk.Info{Name: "passthrough"}, func(c brokenConfig) (sdk.Transform, error) {
				return &passthrough{mode: c.Mode}, nil
			}),
			Config: `mode = "` + mode + `"`,
		},
		Input: plugintest.SampleBatches,
	})
}

// passthrough passes every row on but the last of each batch, which it
// rejects, as an aligned Out; it keeps a goroutine from Open to Close.
// Each mode but "good" breaks one rule.
type passthrough struct {
	mode string
	mem  memory.Allocator
	stop chan struct{}
	done sync.WaitGroup
	once sync.Once
}

func (p *passthrough) Open(_ context.Context, h sdk.Host, in *arrow.Schema) (*arrow.Schema, error) {
	p.mem = h.Allocator()
	p.stop = make(chan struct{})
	p.done.Go(func() { <-p.stop })
	return in, nil
}

func (p *passthrough) Process(_ context.Context, in arrow.RecordBatch) (sdk.Result, error) {
	n := int(in.NumRows())
	if n == 0 {
		return sdk.Result{}, nil
	}
	schema := in.Schema()
	switch p.mode {
	case "modifies-input":
		in.Column(0).(*array.Int64).Int64Values()[0] = -1
	case "leaks-memory":
		b := array.NewInt64Builder(p.mem)
		b.Append(1)
		_ = b.NewArray() // never released
		b.Release()
	case "wrong-schema":
		fields := schema.Fields()
		fields[0].Name = "ID"
		schema = arrow.NewSchema(fields, nil)
	}
	last := n - 1
	if p.mode == "row-out-of-bounds" {
		last = n
	}
	return sdk.Result{
		Out:     array.NewRecordBatch(schema, in.Columns(), in.NumRows()),
		Rejects: []sdk.RowError{{Row: last, Code: "last", Message: "the last row of the batch"}},
	}, nil
}

func (p *passthrough) Close(context.Context) error {
	if p.stop != nil && p.mode != "leaks-goroutine" {
		p.once.Do(func() { close(p.stop) })
		p.done.Wait()
	}
	return nil
}
