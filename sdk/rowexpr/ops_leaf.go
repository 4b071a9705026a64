package rowexpr

import "time"

// op is a node of a columnar program. eval evaluates it on the rows of sel,
// in ascending order, and returns its values there; the rows on which it
// fails are recorded in b, and their values are undefined. An op belongs to
// one evaluator: the vectors it returns are its own, valid until it is
// evaluated again, and it never writes to its operands' vectors or to sel.
type op interface {
	eval(b *batch, sel []int32) *vector
}

// columnOp reads an input column: an identifier, or $env["name"].
type columnOp struct {
	index int
	kind  kind
}

func (o *columnOp) eval(b *batch, _ []int32) *vector { return b.column(o.index, o.kind) }

// literalOp is a constant: its vector holds the value on every row, filled
// once for the biggest batch seen.
type literalOp struct {
	kind   kind
	value  any
	vec    vector
	filled int
}

func (o *literalOp) eval(b *batch, _ []int32) *vector {
	if o.filled < b.n {
		o.fill(b.n)
	}
	return &o.vec
}

func (o *literalOp) fill(n int) {
	v := &o.vec
	v.prepare(o.kind, n, false)
	switch x := o.value.(type) {
	case bool:
		for i := range v.bools {
			v.bools[i] = x
		}
	case int:
		for i := range v.ints {
			v.ints[i] = x
		}
	case float64:
		for i := range v.floats {
			v.floats[i] = x
		}
	case string:
		for i := range v.strs {
			v.strs[i] = x
		}
	case time.Time:
		for i := range v.times {
			v.times[i] = x
		}
	case nil:
		for i := range v.null {
			v.null[i] = true
		}
	}
	o.filled = n
}
