// Package selectcols is the select transform: it keeps the named columns, in
// the given order, and drops the rest. It copies nothing: the output batch
// shares the input's column arrays. It is an sdk.Projector that reads no
// column, so out of process no column data travels at all: only row counts.
package selectcols

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sluicedata/sluice/sdk"
)

// Config is the select transform's configuration.
type Config struct {
	Columns []string `sluice:"columns,required" doc:"The columns to keep, in output order." example:"[\"customer_id\", \"email\", \"lifetime_value\"]"`
}

// Transform is the select plugin.
var Transform = sdk.TransformPlugin(sdk.Info{
	Name:    "select",
	Version: "1.0.0",
	Summary: "Keeps the named columns, in the given order.",
	Examples: []sdk.Example{{
		Title: "Keep three columns",
		HCL: `transform "select" "slim" {
  input   = source.segment
  columns = ["customer_id", "email", "lifetime_value"]
}`,
	}},
}, func(cfg Config) (sdk.Transform, error) {
	if len(cfg.Columns) == 0 {
		return nil, sdk.Errorf(sdk.Path{"columns"}, "name at least one column to keep")
	}
	return &selectCols{names: cfg.Columns}, nil
})

type selectCols struct {
	names   []string
	indices []int
	out     *arrow.Schema
}

func (s *selectCols) Open(_ context.Context, _ sdk.Host, in *arrow.Schema) (*arrow.Schema, error) {
	var diags sdk.Diagnostics
	fields := make([]arrow.Field, 0, len(s.names))
	seen := map[string]bool{}
	for i, name := range s.names {
		path := sdk.Path{"columns", fmt.Sprint(i)}
		idx := in.FieldIndices(name)
		switch {
		case seen[name]:
			diags = append(diags, sdk.Errorf(path, "column %q is named twice", name)...)
		case len(idx) == 0:
			diags = append(diags, sdk.Errorf(path, "the input has no column %q", name)...)
		default:
			s.indices = append(s.indices, idx[0])
			fields = append(fields, in.Field(idx[0]))
		}
		seen[name] = true
	}
	if diags.HasErrors() {
		return nil, diags
	}
	s.out = arrow.NewSchema(fields, nil)
	return s.out, nil
}

// Columns: select reads nothing and passes the chosen columns on.
func (s *selectCols) Columns() ([]string, []int) { return []string{}, s.indices }

func (s *selectCols) Process(_ context.Context, in arrow.RecordBatch) (sdk.Result, error) {
	cols := make([]arrow.Array, len(s.indices))
	for i, idx := range s.indices {
		cols[i] = in.Column(idx)
	}
	return sdk.Result{Out: array.NewRecordBatch(s.out, cols, in.NumRows())}, nil
}

func (s *selectCols) Close(context.Context) error { return nil }
