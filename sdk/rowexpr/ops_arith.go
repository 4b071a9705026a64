package rowexpr

import "math"

// Arithmetic, as expr's runtime does it: ints stay ints (and wrap around),
// an int meeting a float becomes a float, `/` always divides floats, `%`
// takes ints only and fails on a zero divisor, and a nil operand fails.

// negateOp is unary `-`.
type negateOp struct {
	x      op
	kind   kind
	strict strictness
	sel    []int32
	out    vector
}

func (o *negateOp) eval(b *batch, sel []int32) *vector {
	mark := len(b.failures)
	x := o.x.eval(b, sel)
	sel = b.survivors(sel, mark, &o.sel)
	sel = b.nonNil(sel, &o.strict, &o.sel, x, nil, nil)
	o.out.prepare(o.kind, b.n, false)
	if o.kind == kindInt {
		for _, i := range sel {
			o.out.ints[i] = -x.ints[i]
		}
	} else {
		for _, i := range sel {
			o.out.floats[i] = -x.floats[i]
		}
	}
	return &o.out
}

// toFloatOp converts an int operand of a float operation; nil stays nil.
type toFloatOp struct {
	x   op
	out vector
}

func (o *toFloatOp) eval(b *batch, sel []int32) *vector {
	x := o.x.eval(b, sel)
	o.out.floats = sized(o.out.floats, b.n)
	o.out.null = x.null
	for _, i := range sel {
		o.out.floats[i] = float64(x.ints[i])
	}
	return &o.out
}

// arithOp is `+`, `-` and `*` on two ints or two floats (an int operand of a
// float operation is converted by a toFloatOp), `/` on floats, `%` on ints
// and `**` (or `^`) on floats.
type arithOp struct {
	args   binaryArgs
	kind   kind // of both operands, after conversion
	op     string
	strict strictness
	// zero is the message for `%` by zero.
	zero string
	out  vector
}

func (o *arithOp) eval(b *batch, sel []int32) *vector {
	l, r, sel := o.args.eval(b, sel)
	sel = b.nonNil(sel, &o.strict, &o.args.sel, l, r, nil)
	if o.kind == kindInt {
		o.out.prepare(kindInt, b.n, false)
		o.ints(b, l.ints, r.ints, sel)
	} else {
		o.out.prepare(kindFloat, b.n, false)
		floatRows(o.out.floats, l.floats, r.floats, sel, o.op)
	}
	return &o.out
}

func (o *arithOp) ints(b *batch, l, r []int, sel []int32) {
	out := o.out.ints
	switch o.op {
	case "+":
		for _, i := range sel {
			out[i] = l[i] + r[i]
		}
	case "-":
		for _, i := range sel {
			out[i] = l[i] - r[i]
		}
	case "*":
		for _, i := range sel {
			out[i] = l[i] * r[i]
		}
	case "%":
		for _, i := range sel {
			if r[i] == 0 {
				b.fail(i, o.strict.column, o.zero)
				continue
			}
			out[i] = l[i] % r[i]
		}
	}
}

func floatRows(out, l, r []float64, sel []int32, op string) {
	switch op {
	case "+":
		for _, i := range sel {
			out[i] = l[i] + r[i]
		}
	case "-":
		for _, i := range sel {
			out[i] = l[i] - r[i]
		}
	case "*":
		for _, i := range sel {
			out[i] = l[i] * r[i]
		}
	case "/":
		for _, i := range sel {
			out[i] = l[i] / r[i]
		}
	case "**", "^":
		for _, i := range sel {
			out[i] = math.Pow(l[i], r[i])
		}
	}
}

// concatOp is a chain of string `+`, a + b + c …, which the machine
// evaluates as ((a + b) + c) …: each `+` fails if an operand is nil, after
// evaluating its right operand and before the next. The result is written
// once, into the batch's arena.
type concatOp struct {
	parts []op
	// strict[k] is the `+` that adds parts[k+1].
	strict []strictness
	vecs   []*vector
	sel    []int32
	out    vector
}

func (o *concatOp) eval(b *batch, sel []int32) *vector {
	for k, part := range o.parts {
		mark := len(b.failures)
		o.vecs[k] = part.eval(b, sel)
		sel = b.survivors(sel, mark, &o.sel)
		switch {
		case k == 1:
			sel = b.nonNil(sel, &o.strict[0], &o.sel, o.vecs[0], o.vecs[1], nil)
		case k > 1:
			sel = b.nonNil(sel, &o.strict[k-1], &o.sel, nil, o.vecs[k], nil)
		}
	}
	o.out.prepare(kindString, b.n, false)
	for _, i := range sel {
		n := 0
		for _, v := range o.vecs {
			n += len(v.strs[i])
		}
		buf := b.arena.alloc(n)[:0]
		for _, v := range o.vecs {
			buf = append(buf, v.strs[i]...)
		}
		o.out.strs[i] = str(buf)
	}
	return &o.out
}
