// Package textcase is an example Sluice transform plugin: it changes the
// case of text columns in place. Like every plugin it is one sdk.Plugin
// value that works compiled in and served from its own binary
// (cmd/sluice-plugin-textcase).
package textcase

import (
	"context"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sluicedata/sluice/sdk"
)

// Config is the transform's configuration.
type Config struct {
	Columns []string `sluice:"columns,required" doc:"The text columns to change." example:"[\"name\"]"`
	Case    string   `sluice:"case" default:"upper" doc:"upper or lower."`
}

// Transform is the textcase transform plugin.
var Transform = sdk.TransformPlugin(sdk.Info{
	Name:    "textcase",
	Version: "0.1.0",
	Summary: "Upper- or lower-cases text columns.",
	Examples: []sdk.Example{{
		Title: "Shout the names",
		HCL: `transform "textcase" "shout" {
  input   = source.people
  columns = ["name"]
  case    = "upper"
}`,
	}},
}, func(cfg Config) (sdk.Transform, error) {
	var change func(string) string
	switch cfg.Case {
	case "upper":
		change = strings.ToUpper
	case "lower":
		change = strings.ToLower
	default:
		return nil, sdk.Errorf(sdk.Path{"case"}, "case must be \"upper\" or \"lower\", not %q", cfg.Case)
	}
	if len(cfg.Columns) == 0 {
		return nil, sdk.Errorf(sdk.Path{"columns"}, "name at least one column")
	}
	return &textcase{names: cfg.Columns, change: change}, nil
})

type textcase struct {
	names   []string
	change  func(string) string
	indices []int
	mem     memory.Allocator
	passes  []int
}

func (t *textcase) Open(_ context.Context, host sdk.Host, in *arrow.Schema) (*arrow.Schema, error) {
	t.mem = host.Allocator()
	var diags sdk.Diagnostics
	for i, name := range t.names {
		idx := in.FieldIndices(name)
		path := sdk.Path{"columns", fmt.Sprint(i)}
		switch {
		case len(idx) == 0:
			diags = append(diags, sdk.Errorf(path, "the input has no column %q", name)...)
		case in.Field(idx[0]).Type.ID() != arrow.STRING:
			diags = append(diags, sdk.Errorf(path, "column %q is %s, not text", name, in.Field(idx[0]).Type)...)
		default:
			t.indices = append(t.indices, idx[0])
		}
	}
	if diags.HasErrors() {
		return nil, diags
	}
	t.passes = make([]int, in.NumFields())
	for i := range t.passes {
		t.passes[i] = i
	}
	for _, idx := range t.indices {
		t.passes[idx] = -1
	}
	return in, nil
}

// Columns makes textcase an sdk.Projector: it reads the columns it changes,
// computes them, and passes every other column on. Served from its binary,
// it is sent only those columns and sends back only the changed ones.
func (t *textcase) Columns() (reads []string, passes []int) { return t.names, t.passes }

// Process builds the changed columns and shares the others with in.
func (t *textcase) Process(_ context.Context, in arrow.RecordBatch) (sdk.Result, error) {
	cols := append([]arrow.Array(nil), in.Columns()...)
	var built []arrow.Array
	defer func() {
		for _, c := range built {
			c.Release()
		}
	}()
	for _, idx := range t.indices {
		src := in.Column(idx).(*array.String)
		b := array.NewStringBuilder(t.mem)
		b.Reserve(src.Len())
		for i := range src.Len() {
			if src.IsNull(i) {
				b.AppendNull()
				continue
			}
			b.Append(t.change(src.Value(i)))
		}
		col := b.NewArray()
		b.Release()
		built = append(built, col)
		cols[idx] = col
	}
	return sdk.Result{Out: array.NewRecordBatch(in.Schema(), cols, in.NumRows())}, nil
}

func (t *textcase) Close(context.Context) error { return nil }
