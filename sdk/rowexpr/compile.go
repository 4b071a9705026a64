package rowexpr

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/agext/levenshtein"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"

	"github.com/sluicedata/sluice/sdk"
	"github.com/sluicedata/sluice/sdk/rowexpr/stdlib"
)

// Program is a row expression compiled against one Arrow schema. It is safe
// for concurrent use; evaluate it with an [Evaluator].
type Program struct {
	expr   sdk.Expr
	schema *arrow.Schema
	prog   *vm.Program
	typ    reflect.Type
	// columns are the schema indexes of the columns the expression reads,
	// ascending. all is set when it reads the environment as a whole ($env).
	columns []int
	all     bool
	// column is the schema index of the column the expression merely names
	// (`email`), or -1: such an expression is the column itself.
	column int
	asBool bool
	// vmOnly says why the columnar evaluator cannot run the program, which
	// then runs on expr's virtual machine; it is empty if it can.
	vmOnly string
}

// Option changes how an expression is compiled.
type Option func(*options)

type options struct {
	asBool bool
}

// AsBool requires the expression to produce a bool, as conditions must.
func AsBool() Option { return func(o *options) { o.asBool = true } }

// Compile compiles e against schema. Mistakes — syntax, unknown names, type
// errors — are returned as [sdk.Diagnostics] at e's path, with the position
// inside the expression, so the engine can point at the file, line and
// column.
func Compile(e sdk.Expr, schema *arrow.Schema, opts ...Option) (*Program, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	env, err := environment(schema)
	if err != nil {
		return nil, sdk.Errorf(e.Path, "%v", err)
	}
	copts := append([]expr.Option{expr.Env(env)}, functionOptions()...)
	if o.asBool {
		copts = append(copts, expr.AsBool())
	}
	prog, err := expr.Compile(e.Text, copts...)
	if err != nil {
		return nil, compileDiagnostic(e, schema, err)
	}
	p := &Program{expr: e, schema: schema, prog: prog, column: -1, asBool: o.asBool}
	p.typ = prog.Node().Type()
	p.findColumns()
	if _, _, err := compileColumnar(prog, schema, o.asBool); err != nil {
		p.vmOnly = err.Error()
	}
	return p, nil
}

// environment describes the columns of schema to the type checker.
func environment(schema *arrow.Schema) (map[string]any, error) {
	env := make(map[string]any, schema.NumFields())
	var errs []error
	for _, f := range schema.Fields() {
		v, err := envValue(f.Type)
		if err != nil {
			errs = append(errs, fmt.Errorf("column %q: %w", f.Name, err))
			continue
		}
		env[f.Name] = v
	}
	return env, errors.Join(errs...)
}

func (p *Program) findColumns() {
	node := p.prog.Node()
	if id, ok := node.(*ast.IdentifierNode); ok {
		if idx := p.schema.FieldIndices(id.Value); len(idx) == 1 {
			p.column = idx[0]
		}
	}
	seen := map[int]bool{}
	ast.Walk(&node, visitor(func(n *ast.Node) {
		id, ok := (*n).(*ast.IdentifierNode)
		if !ok {
			return
		}
		if id.Value == "$env" {
			p.all = true
			return
		}
		for _, i := range p.schema.FieldIndices(id.Value) {
			seen[i] = true
		}
	}))
	if p.all {
		for i := range p.schema.NumFields() {
			seen[i] = true
		}
	}
	for i := range seen {
		p.columns = append(p.columns, i)
	}
	sort.Ints(p.columns)
}

type visitor func(*ast.Node)

func (v visitor) Visit(n *ast.Node) { v(n) }

// Expr returns the expression the program was compiled from.
func (p *Program) Expr() sdk.Expr { return p.expr }

// Type is the Go type the type checker inferred for the expression's values;
// an interface type when it cannot tell (`a ?? 1` with a string column a).
func (p *Program) Type() reflect.Type { return p.typ }

// Columnar reports whether an [Evaluator] runs the program column by column,
// over whole batches, rather than row by row on expr's virtual machine. Both
// give the same results; the columnar evaluator does not allocate per row.
// See the package documentation for what it supports.
func (p *Program) Columnar() bool { return p.vmOnly == "" }

// Columns returns the names of the input columns the expression reads.
func (p *Program) Columns() []string {
	names := make([]string, len(p.columns))
	for i, c := range p.columns {
		names[i] = p.schema.Field(c).Name
	}
	return names
}

// Identity reports whether the expression merely names a column (`email`),
// and if so that column's index in the schema: the expression's value is
// the column itself, which [Evaluator.Arrays] returns without evaluating
// anything.
func (p *Program) Identity() (column int, ok bool) { return p.column, p.column >= 0 }

// Field returns the Arrow field that stores the expression's values under
// name. An expression that merely names a column keeps that column's type;
// others get the Arrow type of their Go type. Expressions whose type the
// checker cannot tell, or that produce lists or maps, are reported as a
// diagnostic asking for a conversion.
func (p *Program) Field(name string) (arrow.Field, error) {
	if p.column >= 0 {
		f := p.schema.Field(p.column)
		f.Name = name
		return f, nil
	}
	dt, ok := arrowType(p.typ)
	if !ok {
		return arrow.Field{}, sdk.Diagnostics{{
			Severity: sdk.Error,
			Summary:  "Cannot tell the column type of this expression",
			Detail: fmt.Sprintf("Its values are of %s. Convert the result with string(…), int(…), float(…) or toJSON(…) so that the column's type is known before the data is read.",
				typeName(p.typ)),
			Path: p.expr.Path,
		}}
	}
	return arrow.Field{Name: name, Type: dt, Nullable: true}, nil
}

func typeName(t reflect.Type) string {
	if t == nil || t.Kind() == reflect.Interface {
		return "a type that depends on the data"
	}
	return "type " + t.String()
}

// compileDiagnostic turns an expr compile error into a diagnostic at the
// position inside the expression.
func compileDiagnostic(e sdk.Expr, schema *arrow.Schema, err error) error {
	d := sdk.Diagnostic{Severity: sdk.Error, Summary: "Invalid expression", Detail: err.Error(), Path: e.Path}
	var fe *file.Error
	if errors.As(err, &fe) {
		d.Detail = fe.Message
		d.Pos = &sdk.Pos{Line: max(fe.Line, 1), Column: fe.Column + 1}
		if name, ok := strings.CutPrefix(fe.Message, "unknown name "); ok {
			d.Detail += ". " + columnHint(name, schema)
		}
	}
	return sdk.Diagnostics{d}
}

func columnHint(name string, schema *arrow.Schema) string {
	names := make([]string, schema.NumFields())
	for i, f := range schema.Fields() {
		names[i] = f.Name
	}
	if best := closest(name, names); best != "" {
		return fmt.Sprintf("Did you mean %q?", best)
	}
	if len(names) > 20 {
		names = append(names[:20:20], "…")
	}
	return "The input's columns are: " + strings.Join(names, ", ") + "."
}

// closest returns the candidate within a small edit distance of name, if any.
func closest(name string, candidates []string) string {
	best, bestDist := "", 3
	for _, c := range candidates {
		if d := levenshtein.Distance(strings.ToLower(name), strings.ToLower(c), nil); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// functionOptions installs the function library.
func functionOptions() []expr.Option { return stdlib.Options() }
