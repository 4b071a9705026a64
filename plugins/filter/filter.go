// Package filter is the filter transform: it keeps the rows that meet a
// condition, written as a row expression, and drops the others.
//
// The condition is compiled against the input schema when the pipeline is
// validated. Each batch is evaluated into a boolean mask and filtered column
// by column, so the kept rows are copied once, without building rows. A row
// on which the condition fails to evaluate (a function given null) is
// rejected with the reason rather than silently dropped.
package filter

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/compute"
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
	where sdk.Expr
	eval  *rowexpr.Evaluator
	mem   memory.Allocator
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
	return in, nil
}

func (f *filter) Process(ctx context.Context, in arrow.RecordBatch) (sdk.Result, error) {
	mask, trues, rejects := f.eval.Mask(in, f.mem)
	defer mask.Release()
	res := sdk.Result{Rejects: rejects, Filtered: int(in.NumRows()) - trues - len(rejects)}
	if trues == 0 {
		return res, nil
	}
	if trues == int(in.NumRows()) {
		in.Retain()
		res.Out = in
		return res, nil
	}
	out, err := compute.FilterRecordBatch(compute.WithAllocator(ctx, f.mem), in, mask, compute.DefaultFilterOptions())
	if err != nil {
		return sdk.Result{}, err
	}
	res.Out = out
	return res, nil
}

func (f *filter) Close(context.Context) error { return nil }
