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
// over record batches. The programs the columnar evaluator supports run over
// each batch at once; the others run row by row on one virtual machine, with
// one environment holding just the columns they read. An Evaluator holds the
// buffers of both, so it is not safe for concurrent use: give each goroutine
// its own.
type Evaluator struct {
	programs []*Program
	// computed lists the programs that need evaluating: all but those that
	// merely name a column, which Arrays serves from the column itself.
	computed []int

	// columnar[j] is program j compiled for this evaluator, or nil if the
	// machine runs it; kinds[j] is its kind and vecs[j] its values for the
	// current batch.
	columnar []op
	kinds    []kind
	vecs     []*vector
	batch    batch
	// fails are the failures of the columnar programs on the current batch,
	// in program order; firstFail[row] is 1 + the index in fails of the
	// row's first, or 0.
	fails     []programFailure
	firstFail []int32
	dropped   []bool
	// demoted says which programs the machine took over, and why.
	demoted []string

	// The machine's state, for the programs it runs.
	columns []int
	names   []string
	env     map[string]any
	loads   []func(int) any
	results []any
	vm      vm.VM
}

// programFailure is a failure of program prog.
type programFailure struct {
	prog int
	failure
}

// NewEvaluator returns an evaluator for programs, which must all have been
// compiled against the same schema.
func NewEvaluator(programs ...*Program) *Evaluator { return newEvaluator(true, programs) }

// newEvaluator returns an evaluator that runs every program on the machine
// unless columnar is set: the differential tests compare the two.
func newEvaluator(columnar bool, programs []*Program) *Evaluator {
	n := len(programs)
	ev := &Evaluator{
		programs: programs,
		results:  make([]any, n),
		columnar: make([]op, n),
		kinds:    make([]kind, n),
		vecs:     make([]*vector, n),
	}
	for j, p := range programs {
		if p.column < 0 {
			ev.computed = append(ev.computed, j)
		}
		if columnar && p.Columnar() {
			root, k, err := compileColumnar(p.prog, p.schema, p.asBool)
			if err == nil {
				ev.columnar[j], ev.kinds[j] = root, k
				continue
			}
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

// evalColumnar evaluates the columnar programs among progs (ascending) over
// rec. heap gives the strings they produce memory of their own, for callers
// that may keep them; otherwise they live until the next batch.
func (ev *Evaluator) evalColumnar(rec arrow.RecordBatch, progs []int, heap bool) {
	n := int(rec.NumRows())
	ev.fails = ev.fails[:0]
	ev.firstFail = sized(ev.firstFail, n)
	clear(ev.firstFail)
	any := false
	for _, j := range progs {
		any = any || ev.columnar[j] != nil
	}
	if !any {
		return
	}
	b := &ev.batch
	b.arena.heap = heap
	b.reset(rec, ev.programs[0].schema.NumFields())
	for _, j := range progs {
		if ev.columnar[j] == nil {
			continue
		}
		if !ev.evalProgram(j) {
			continue
		}
		for _, f := range b.failures {
			b.failed[f.row] = false
			ev.fails = append(ev.fails, programFailure{prog: j, failure: f})
			if ev.firstFail[f.row] == 0 {
				ev.firstFail[f.row] = int32(len(ev.fails))
			}
		}
		b.failures = b.failures[:0]
	}
}

// evalProgram evaluates columnar program j over the current batch. Should
// it panic — a bug: the differential tests check that none does — the
// machine runs the program from then on, and evalProgram reports false.
func (ev *Evaluator) evalProgram(j int) (ok bool) {
	b := &ev.batch
	defer func() {
		if r := recover(); r != nil {
			for _, f := range b.failures {
				b.failed[f.row] = false
			}
			b.failures = b.failures[:0]
			ev.demote(j, r)
			ok = false
		}
	}()
	ev.vecs[j] = ev.columnar[j].eval(b, b.rows())
	return true
}

// demote hands program j to the machine, for the reason given.
func (ev *Evaluator) demote(j int, reason any) {
	ev.columnar[j], ev.vecs[j] = nil, nil
	ev.demoted = append(ev.demoted, fmt.Sprintf("%s: %v", describe(ev.programs[j]), reason))
	p := ev.programs[j]
	for _, c := range p.columns {
		if !slices.Contains(ev.columns, c) {
			ev.columns = append(ev.columns, c)
			ev.names = append(ev.names, p.schema.Field(c).Name)
			ev.loads = append(ev.loads, nil)
		}
	}
}

// onVM reports whether the machine runs any of progs.
func (ev *Evaluator) onVM(progs []int) bool {
	for _, j := range progs {
		if ev.columnar[j] == nil {
			return true
		}
	}
	return false
}

// columnarRejects returns the row errors of the columnar programs' first
// failures, by row, when no program runs on the machine.
func (ev *Evaluator) columnarRejects() []sdk.RowError {
	var rejects []sdk.RowError
	for k, f := range ev.fails {
		if ev.firstFail[f.row] == int32(k+1) {
			rejects = append(rejects, ev.failureError(f))
		}
	}
	slices.SortFunc(rejects, func(a, b sdk.RowError) int { return a.Row - b.Row })
	return rejects
}

// failureError reports a columnar program's failure as the machine's failure
// would be reported.
func (ev *Evaluator) failureError(f programFailure) sdk.RowError {
	return rowError(int(f.row), ev.programs[f.prog], &file.Error{Message: f.msg, Column: f.column})
}

// Rows evaluates every program on every row of rec and calls fn with the
// row's results, in program order. The results slice is reused: fn must copy
// what it keeps. A row on which any program fails is not passed to fn; it is
// reported in the returned row errors instead, for the first program that
// fails on it.
func (ev *Evaluator) Rows(rec arrow.RecordBatch, fn func(row int, results []any)) []sdk.RowError {
	all := make([]int, len(ev.programs))
	for j := range all {
		all[j] = j
	}
	ev.evalColumnar(rec, all, true)
	return ev.run(rec, all, true, fn)
}

// run goes through the rows of rec in order and runs the programs progs on
// each until one fails: the machine's on the machine, the columnar ones —
// evaluated already — by looking at their values and failures. It calls fn
// with the results of the rows on which none failed, the values of the
// columnar programs included if box is set, and returns the others' errors.
func (ev *Evaluator) run(rec arrow.RecordBatch, progs []int, box bool, fn func(row int, results []any)) []sdk.RowError {
	machine := ev.onVM(progs)
	if machine {
		for i, c := range ev.columns {
			ev.loads[i] = loader(rec.Column(c))
		}
	}
	var rejects []sdk.RowError
	n := int(rec.NumRows())
rows:
	for i := 0; i < n; i++ {
		failedAt := -1
		if f := ev.firstFail[i]; f > 0 {
			failedAt = ev.fails[f-1].prog
		}
		loaded := false
		for k, j := range progs {
			if j == failedAt {
				rejects = append(rejects, ev.failureError(ev.fails[ev.firstFail[i]-1]))
				continue rows
			}
			if op := ev.columnar[j]; op != nil {
				if box {
					ev.results[k] = ev.vecs[j].value(ev.kinds[j], int32(i))
				}
				continue
			}
			if !loaded {
				for c, load := range ev.loads {
					ev.env[ev.names[c]] = load(i)
				}
				loaded = true
			}
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
	n := int(rec.NumRows())
	out := make([]arrow.Array, len(ev.programs))
	types := make([]arrow.DataType, len(ev.programs))
	cols := make([]*column, len(ev.programs)) // the machine's programs'
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.b.Release()
			}
		}
	}()
	for _, j := range ev.computed {
		f, err := ev.programs[j].Field("")
		if err != nil {
			return nil, nil, err
		}
		types[j] = f.Type
	}
	ev.evalColumnar(rec, ev.computed, false)
	for _, j := range ev.computed {
		if ev.columnar[j] == nil {
			cols[j] = newColumn(mem, types[j], n)
		}
	}
	var rejects []sdk.RowError
	if ev.onVM(ev.computed) {
		rejects = ev.machineArrays(rec, cols)
	} else {
		rejects = ev.columnarRejects()
	}
	dropped := ev.droppedRows(rejects, n)
	for _, j := range ev.computed {
		if cols[j] != nil {
			out[j] = cols[j].b.NewArray()
			continue
		}
		arr, err := arrayOf(mem, types[j], ev.kinds[j], ev.vecs[j], dropped, n)
		if err != nil {
			for _, a := range out {
				if a != nil {
					a.Release()
				}
			}
			return nil, nil, err
		}
		out[j] = arr
	}
	for j, p := range ev.programs {
		if p.column >= 0 {
			out[j] = rec.Column(p.column)
			out[j].Retain()
		}
	}
	return out, rejects, nil
}

// machineArrays runs the computed programs row by row, as some run on the
// machine, and appends the machine's results to their columns, cols, by
// program; it returns the row errors, by row.
func (ev *Evaluator) machineArrays(rec arrow.RecordBatch, cols []*column) []sdk.RowError {
	next := 0
	nulls := func(upTo int) {
		for ; next < upTo; next++ {
			for _, c := range cols {
				if c != nil {
					c.b.AppendNull()
				}
			}
		}
	}
	var typeRejects []sdk.RowError
	rejects := ev.run(rec, ev.computed, false, func(row int, results []any) {
		nulls(row)
		for k, j := range ev.computed {
			if c := cols[j]; c != nil && !c.fits(results[k]) {
				v := results[k]
				typeRejects = append(typeRejects, sdk.RowError{Row: row, Code: CodeEval, Message: fmt.Sprintf(
					"%s: produced %v (%T), which a %s column cannot hold", describe(ev.programs[j]), v, v, c.b.Type())})
				return // the row stays null; nulls() fills it
			}
		}
		for k, j := range ev.computed {
			if c := cols[j]; c != nil {
				c.append(results[k])
			}
		}
		next = row + 1
	})
	nulls(int(rec.NumRows()))
	if len(typeRejects) > 0 {
		rejects = append(rejects, typeRejects...)
		slices.SortFunc(rejects, func(a, b sdk.RowError) int { return a.Row - b.Row })
	}
	return rejects
}

// droppedRows marks the rows of rejects, which the arrays leave null; it
// returns nil if there are none.
func (ev *Evaluator) droppedRows(rejects []sdk.RowError, n int) []bool {
	if len(rejects) == 0 {
		return nil
	}
	ev.dropped = sized(ev.dropped, n)
	clear(ev.dropped)
	for _, r := range rejects {
		ev.dropped[r.Row] = true
	}
	return ev.dropped
}

// Mask evaluates a single boolean program on every row and returns a boolean
// array that is true for the rows where it holds, and how many those are.
// Rows on which it fails are false in the mask and reported as row errors.
// The caller releases the mask.
func (ev *Evaluator) Mask(rec arrow.RecordBatch, mem memory.Allocator) (*array.Boolean, int, []sdk.RowError) {
	n := int(rec.NumRows())
	if ev.columnar[0] != nil && ev.kinds[0] == kindBool {
		ev.evalColumnar(rec, []int{0}, false)
		if ev.columnar[0] != nil { // else demoted: the machine runs it below
			rejects := ev.columnarRejects()
			mask, kept := maskOf(mem, ev.vecs[0], ev.droppedRows(rejects, n), n)
			return mask, kept, rejects
		}
	}
	b := array.NewBooleanBuilder(mem)
	defer b.Release()
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
