// Package mapper is the map transform: it computes new columns, or replaces
// existing ones, with row expressions, and can drop, rename and choose
// columns.
//
// Every expression is compiled against the input schema when the pipeline is
// validated, and its result type becomes the column's Arrow type. All the
// expressions of a batch are evaluated in one pass over its rows, reading only
// the columns they use; a column an expression merely names is passed on
// without copying. A row on which any expression fails is rejected, with the
// column and the reason: the output batch stays aligned with the input (see
// sdk.Result) and the engine drops the rejected rows, so nothing is copied
// to drop them.
//
// The map is an sdk.Projector: every output column is an input column passed
// on or computed from the columns its expressions read. Out of process only
// those columns travel to it, and only the computed ones come back.
package mapper

import (
	"context"
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sluicedata/sluice/sdk"
	"github.com/sluicedata/sluice/sdk/rowexpr"
)

// Config is the map transform's configuration.
type Config struct {
	Columns map[string]sdk.Expr `sluice:"columns" doc:"Columns to compute, as name = expression. A name that exists replaces that column in place; a new name is added after the input's columns, in name order. Expressions see the input row, not each other's results." example:"{ email = \"lower(trim(email))\", full_name = \"first_name + ' ' + last_name\" }"`
	Drop    []string            `sluice:"drop" doc:"Columns to remove from the output."`
	Rename  map[string]string   `sluice:"rename" doc:"Columns to rename, as old_name = new_name, applied after columns and drop." example:"{ lifetime_value = \"ltv\" }"`
	Keep    []string            `sluice:"keep" doc:"If set, the output has exactly these columns, in this order, named as after rename."`
}

// Transform is the map plugin.
var Transform = sdk.TransformPlugin(sdk.Info{
	Name:    "map",
	Version: "1.0.0",
	Summary: "Computes, replaces, drops, renames and chooses columns.",
	Description: "Each entry of `columns` is an expression over the input row. " +
		"The steps apply in order: columns, drop, rename, keep.",
	Examples: []sdk.Example{{
		Title: "Normalise an email and derive columns",
		HCL: `transform "map" "normalize" {
  input = transform.active
  columns = {
    email     = "lower(trim(email))"
    full_name = "first_name + ' ' + last_name"
    tier      = "lifetime_value > 1000 ? 'gold' : 'std'"
  }
  drop = ["phone"]
}`,
	}},
}, func(cfg Config) (sdk.Transform, error) {
	return &mapper{cfg: cfg}, nil
})

type mapper struct {
	cfg  Config
	mem  memory.Allocator
	eval *rowexpr.Evaluator
	out  *arrow.Schema
	// sources[i] says where output column i comes from: an input column
	// (>= 0) or the result of computed expression -1-sources[i].
	sources []int
	// reads and passes are what Columns reports.
	reads  []string
	passes []int
}

func (m *mapper) Open(_ context.Context, host sdk.Host, in *arrow.Schema) (*arrow.Schema, error) {
	m.mem = host.Allocator()
	var diags sdk.Diagnostics
	names := make([]string, 0, len(m.cfg.Columns))
	for name := range m.cfg.Columns {
		names = append(names, name)
	}
	slices.Sort(names)

	// Step 1: the input columns, with computed ones replacing them in place
	// or appended.
	type col struct {
		field arrow.Field
		src   int
	}
	var cols []col
	for i, f := range in.Fields() {
		cols = append(cols, col{f, i})
	}
	var progs []*rowexpr.Program
	for _, name := range names {
		// A column whose expression is wrong still takes its place, so that
		// drop, rename and keep do not report it missing as well.
		c := col{arrow.Field{Name: name, Type: arrow.Null}, 0}
		prog, err := rowexpr.Compile(m.cfg.Columns[name], in)
		if err == nil {
			var f arrow.Field
			if f, err = prog.Field(name); err == nil {
				c.field = f
			}
		}
		if err != nil {
			diags = append(diags, sdk.AsDiagnostics(err)...)
		} else {
			c.src = -1 - len(progs)
			progs = append(progs, prog)
		}
		if idx := in.FieldIndices(name); len(idx) > 0 {
			cols[idx[0]] = c
		} else {
			cols = append(cols, c)
		}
	}

	// Step 2: drop, rename, keep.
	has := func(name string) bool {
		return slices.ContainsFunc(cols, func(c col) bool { return c.field.Name == name })
	}
	for i, name := range m.cfg.Drop {
		if !has(name) {
			diags = append(diags, sdk.Errorf(sdk.Path{"drop", fmt.Sprint(i)}, "there is no column %q to drop", name)...)
		}
	}
	cols = slices.DeleteFunc(cols, func(c col) bool { return slices.Contains(m.cfg.Drop, c.field.Name) })
	for old, renamed := range m.cfg.Rename {
		i := slices.IndexFunc(cols, func(c col) bool { return c.field.Name == old })
		if i < 0 {
			diags = append(diags, sdk.Errorf(sdk.Path{"rename", old}, "there is no column %q to rename", old)...)
			continue
		}
		cols[i].field.Name = renamed
	}
	if len(m.cfg.Keep) > 0 {
		var kept []col
		for i, name := range m.cfg.Keep {
			j := slices.IndexFunc(cols, func(c col) bool { return c.field.Name == name })
			if j < 0 {
				diags = append(diags, sdk.Errorf(sdk.Path{"keep", fmt.Sprint(i)}, "there is no column %q to keep", name)...)
				continue
			}
			kept = append(kept, cols[j])
		}
		cols = kept
	}
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		if slices.ContainsFunc(cols[:i], func(o col) bool { return o.field.Name == c.field.Name }) {
			diags = append(diags, sdk.Errorf(nil, "the output would have two columns named %q", c.field.Name)...)
		}
		fields[i] = c.field
		m.sources = append(m.sources, c.src)
	}
	if diags.HasErrors() {
		// The output schema, with a column whose expression is wrong typed
		// as null, lets the nodes after this one be checked too.
		return arrow.NewSchema(fields, nil), diags
	}
	m.eval = rowexpr.NewEvaluator(progs...)
	m.out = arrow.NewSchema(fields, nil)
	m.plan(in, progs)
	return m.out, nil
}

// plan works out what Columns reports: the columns the expressions read,
// and which output columns pass input columns on. An expression that merely
// names a column passes it on too: Arrays returns the column itself.
func (m *mapper) plan(in *arrow.Schema, progs []*rowexpr.Program) {
	read := make([]bool, in.NumFields())
	for _, p := range progs {
		if _, ok := p.Identity(); ok {
			continue
		}
		for _, name := range p.Columns() {
			for _, i := range in.FieldIndices(name) {
				read[i] = true
			}
		}
	}
	m.reads = []string{}
	for i, r := range read {
		if r {
			m.reads = append(m.reads, in.Field(i).Name)
		}
	}
	m.passes = make([]int, len(m.sources))
	for i, src := range m.sources {
		m.passes[i] = src
		if src < 0 {
			m.passes[i] = -1
			if col, ok := progs[-1-src].Identity(); ok {
				m.passes[i] = col
			}
		}
	}
}

// Columns reports the columns the expressions read and, for each output
// column, the input column it passes on or -1 for a computed one.
func (m *mapper) Columns() ([]string, []int) { return m.reads, m.passes }

// Process returns an Out aligned with the input: rows an expression failed
// on are null in the computed columns, and the engine drops them.
func (m *mapper) Process(_ context.Context, in arrow.RecordBatch) (sdk.Result, error) {
	computed, rejects, err := m.eval.Arrays(in, m.mem)
	if err != nil {
		return sdk.Result{}, err
	}
	cols := make([]arrow.Array, len(m.sources))
	for i, src := range m.sources {
		if src >= 0 {
			cols[i] = in.Column(src)
		} else {
			cols[i] = computed[-1-src]
		}
	}
	out := array.NewRecordBatch(m.out, cols, in.NumRows())
	for _, c := range computed {
		c.Release()
	}
	return sdk.Result{Out: out, Rejects: rejects}, nil
}

func (m *mapper) Close(context.Context) error { return nil }
