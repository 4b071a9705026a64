// Package filter is the filter transform: it keeps the rows that meet a
// condition, written as a row expression, and drops the others.
//
// The condition is compiled against the input schema when the pipeline is
// validated. Each batch is evaluated into a boolean mask, which the filter
// returns as its result's Keep: the engine filters the batch column by
// column, so the kept rows are copied once, without building rows. The
// filter is an sdk.Projector that reads only the condition's columns and
// passes every column on, so out of process only those columns travel to
// it and only the mask comes back. A row on which the condition fails to
// evaluate (a function given null) is rejected with the reason rather than
// silently dropped.
package filter

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sluicedata/sluice/sdk"
	"github.com/sluicedata/sluice/sdk/rowexpr"
)

// Config is the filter's configuration.
type Config struct {
	Where sdk.Expr `sluice:"where,required" doc:"The condition a row must meet to be kept: an expression that evaluates to true or false. Rows for which it is false are counted as filtered." example:"\"is_active && lifetime_value > 100\""`
}

// Transform is the filter plugin.
var Transform = sdk.TransformPlugin(sdk.Info{
	Name:    "filter",
	Version: "1.0.0",
	Summary: "Keeps the rows that meet a condition.",
	Examples: []sdk.Example{{
		Title: "Active customers worth more than 100",
		HCL: `transform "filter" "active" {
  input = source.segment
  where = "is_active && lifetime_value > 100"
}`,
	}},
}, func(cfg Config) (sdk.Transform, error) {
	return &filter{where: cfg.Where}, nil
})

type filter struct {
	where  sdk.Expr
	eval   *rowexpr.Evaluator
	mem    memory.Allocator
	reads  []string
	passes []int
}

func (f *filter) Open(_ context.Context, host sdk.Host, in *arrow.Schema) (*arrow.Schema, error) {
	prog, err := rowexpr.Compile(f.where, in, rowexpr.AsBool())
	if err != nil {
		// The output schema is the input's whatever the condition says, so
		// the nodes after this one can still be checked.
		return in, err
	}
	f.eval = rowexpr.NewEvaluator(prog)
	f.mem = host.Allocator()
	f.reads = prog.Columns()
	f.passes = make([]int, in.NumFields())
	for i := range f.passes {
		f.passes[i] = i
	}
	return in, nil
}

// Columns: the filter reads the condition's columns and passes every column
// on.
func (f *filter) Columns() ([]string, []int) { return f.reads, f.passes }

func (f *filter) Process(_ context.Context, in arrow.RecordBatch) (sdk.Result, error) {
	mask, trues, rejects := f.eval.Mask(in, f.mem)
	return sdk.Result{Keep: mask, Rejects: rejects, Filtered: int(in.NumRows()) - trues - len(rejects)}, nil
}

func (f *filter) Close(context.Context) error { return nil }
