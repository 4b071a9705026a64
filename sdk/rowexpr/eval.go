package rowexpr

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"

	"github.com/sluicedata/sluice/sdk"
)

// CodeEval is the row error code of an expression that failed on a row.
const CodeEval = "expr.eval"

// Evaluator evaluates a set of programs, compiled against the same schema,
// row by row. It reuses one virtual machine and one environment holding just
// the columns the programs read, so it is not safe for concurrent use: give
// each goroutine its own.
type Evaluator struct {
	programs []*Program
	// computed lists the programs that need evaluating: all but those that
	// merely name a column, which Arrays serves from the column itself.
	computed []int
	columns  []int
	names    []string
	env      map[string]any
	loads    []func(int) any
	results  []any
	vm       vm.VM
}

// NewEvaluator returns an evaluator for programs, which must all have been
// compiled against the same schema.
func NewEvaluator(programs ...*Program) *Evaluator {
	ev := &Evaluator{programs: programs, results: make([]any, len(programs))}
	for j, p := range programs {
		if p.column < 0 {
			ev.computed = append(ev.computed, j)
		}
		for _, c := range p.columns {
			if !slices.Contains(ev.columns, c) {
				ev.columns = append(ev.columns, c)
			}
		}
	}
	ev.env = make(map[string]any, len(ev.columns))
	ev.loads = make([]func(int) any, len(ev.columns))
	for _, c := range ev.columns {
		ev.names = append(ev.names, programs[0].schema.Field(c).Name)
	}
	return ev
}

// Rows evaluates every program on every row of rec and calls fn with the
// row's results, in program order. The results slice is reused: fn must copy
// what it keeps. A row on which any program fails is not passed to fn; it is
// reported in the returned row errors instead.
func (ev *Evaluator) Rows(rec arrow.RecordBatch, fn func(row int, results []any)) []sdk.RowError {
	all := make([]int, len(ev.programs))
	for j := range all {
		all[j] = j
	}
	return ev.run(rec, all, fn)
}

func (ev *Evaluator) run(rec arrow.RecordBatch, progs []int, fn func(row int, results []any)) []sdk.RowError {
	for i, c := range ev.columns {
		ev.loads[i] = loader(rec.Column(c))
	}
	var rejects []sdk.RowError
	n := int(rec.NumRows())
rows:
	for i := 0; i < n; i++ {
		for c, load := range ev.loads {
			ev.env[ev.names[c]] = load(i)
		}
		for k, j := range progs {
			v, err := ev.vm.Run(ev.programs[j].prog, ev.env)
			if err != nil {
				rejects = append(rejects, rowError(i, ev.programs[j], err))
				continue rows
			}
			ev.results[k] = v
		}
		fn(i, ev.results[:len(progs)])
	}
	return rejects
}

// Arrays evaluates every program on every row of rec and returns one array
// per program, with the Arrow type [Program.Field] reports. A row on which a
// program fails, or produces a value its column cannot hold, is null in every
// array and reported as a row error: the caller drops it. A program that
// merely names a column returns that column without evaluating anything. The
// caller releases the arrays.
func (ev *Evaluator) Arrays(rec arrow.RecordBatch, mem memory.Allocator) ([]arrow.Array, []sdk.RowError, error) {
	out := make([]arrow.Array, len(ev.programs))
	cols := make([]*column, len(ev.computed))
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.b.Release()
			}
		}
	}()
	for k, j := range ev.computed {
		f, err := ev.programs[j].Field("")
		if err != nil {
			return nil, nil, err
		}
		cols[k] = newColumn(mem, f.Type, int(rec.NumRows()))
	}
	next := 0
	nulls := func(upTo int) {
		for ; next < upTo; next++ {
			for _, c := range cols {
				c.b.AppendNull()
			}
		}
	}
	var typeRejects []sdk.RowError
	rejects := ev.run(rec, ev.computed, func(row int, results []any) {
		nulls(row)
		for k, v := range results {
			if !cols[k].fits(v) {
				typeRejects = append(typeRejects, sdk.RowError{Row: row, Code: CodeEval, Message: fmt.Sprintf(
					"%s: produced %v (%T), which a %s column cannot hold", describe(ev.programs[ev.computed[k]]), v, v, cols[k].b.Type())})
				return // the row stays null; nulls() fills it
			}
		}
		for k, v := range results {
			cols[k].append(v)
		}
		next = row + 1
	})
	nulls(int(rec.NumRows()))
	for k, j := range ev.computed {
		out[j] = cols[k].b.NewArray()
	}
	for j, p := range ev.programs {
		if p.column >= 0 {
			out[j] = rec.Column(p.column)
			out[j].Retain()
		}
	}
	if len(typeRejects) > 0 {
		rejects = append(rejects, typeRejects...)
		slices.SortFunc(rejects, func(a, b sdk.RowError) int { return a.Row - b.Row })
	}
	return out, rejects, nil
}

// Mask evaluates a single boolean program on every row and returns a boolean
// array that is true for the rows where it holds, and how many those are.
// Rows on which it fails are false in the mask and reported as row errors.
// The caller releases the mask.
func (ev *Evaluator) Mask(rec arrow.RecordBatch, mem memory.Allocator) (*array.Boolean, int, []sdk.RowError) {
	b := array.NewBooleanBuilder(mem)
	defer b.Release()
	n := int(rec.NumRows())
	b.Reserve(n)
	next, kept := 0, 0
	rejects := ev.Rows(rec, func(row int, results []any) {
		for ; next < row; next++ {
			b.UnsafeAppend(false)
		}
		keep, _ := results[0].(bool)
		if keep {
			kept++
		}
		b.UnsafeAppend(keep)
		next = row + 1
	})
	for ; next < n; next++ {
		b.UnsafeAppend(false)
	}
	return b.NewBooleanArray(), kept, rejects
}

// rowError describes a program's failure on a row for the rejects stream.
func rowError(row int, p *Program, err error) sdk.RowError {
	msg := err.Error()
	var fe *file.Error
	if errors.As(err, &fe) {
		msg = fmt.Sprintf("%s (at column %d)", fe.Message, fe.Column+1)
	}
	if strings.Contains(msg, "nil") {
		msg += "; a value is null: use ?? to supply a default"
	}
	return sdk.RowError{Row: row, Code: CodeEval, Message: fmt.Sprintf("%s: %s", describe(p), msg)}
}

func describe(p *Program) string {
	if len(p.expr.Path) > 0 {
		return fmt.Sprintf("%s = %q", p.expr.Path, p.expr.Text)
	}
	return fmt.Sprintf("%q", p.expr.Text)
}
