package rowexpr

// The logical operators, the conditional and ??. Where the virtual machine
// jumps over an operand, these evaluate it only on the rows it would reach,
// so that an operand that would fail on a row the machine skips does not
// fail there.

// notOp is `!x` and `not x`. The machine asserts x is a bool: nil fails.
type notOp struct {
	x      op
	strict strictness
	sel    []int32
	out    vector
}

func (o *notOp) eval(b *batch, sel []int32) *vector {
	mark := len(b.failures)
	x := o.x.eval(b, sel)
	sel = b.survivors(sel, mark, &o.sel)
	sel = b.nonNil(sel, &o.strict, &o.sel, x, nil, nil)
	o.out.prepare(kindBool, b.n, false)
	for _, i := range sel {
		o.out.bools[i] = !x.bools[i]
	}
	return &o.out
}

// logicOp is `a && b` (or false) and `a || b` (or true). The machine jumps
// over b where a decides — a is false for &&, true for || — asserting a is a
// bool, so a nil a fails; elsewhere the result is b's value, nil included.
type logicOp struct {
	left, right op
	or          bool
	rightKind   kind
	strict      strictness
	sel, rest   []int32
	out         vector
}

func (o *logicOp) eval(b *batch, sel []int32) *vector {
	mark := len(b.failures)
	l := o.left.eval(b, sel)
	sel = b.survivors(sel, mark, &o.sel)
	sel = b.nonNil(sel, &o.strict, &o.sel, l, nil, nil)
	out := &o.out
	out.bools = sized(out.bools, b.n)
	rest := o.rest[:0]
	for _, i := range sel {
		if l.bools[i] == o.or {
			out.bools[i] = o.or
		} else {
			rest = append(rest, i)
		}
	}
	o.rest = rest
	out.null = nil
	if len(rest) == 0 {
		return out
	}
	mark = len(b.failures)
	r := o.right.eval(b, rest)
	rest = b.survivors(rest, mark, &o.rest)
	if r.null != nil {
		out.nulls = sized(out.nulls, b.n)
		out.null = out.nulls
		for _, i := range sel {
			out.null[i] = false
		}
	}
	copyRows(out, r, o.rightKind, rest)
	return out
}

// condOp is `c ? a : b` and `if c { a } else { b }`: a nil c fails, and
// each branch is evaluated on the rows that take it.
type condOp struct {
	cond        op
	yes, no     op
	kind        kind // the result's; a branch is of this kind or nil
	yesKind     kind
	noKind      kind
	strict      strictness
	sel, ys, ns []int32
	out         vector
}

func (o *condOp) eval(b *batch, sel []int32) *vector {
	mark := len(b.failures)
	c := o.cond.eval(b, sel)
	sel = b.survivors(sel, mark, &o.sel)
	sel = b.nonNil(sel, &o.strict, &o.sel, c, nil, nil)
	ys, ns := o.ys[:0], o.ns[:0]
	for _, i := range sel {
		if c.bools[i] {
			ys = append(ys, i)
		} else {
			ns = append(ns, i)
		}
	}
	o.ys, o.ns = ys, ns
	var yv, nv *vector
	if len(ys) > 0 {
		mark = len(b.failures)
		yv = o.yes.eval(b, ys)
		ys = b.survivors(ys, mark, &o.ys)
		if len(ns) == 0 && o.yesKind == o.kind {
			return yv // every row took this branch
		}
	}
	if len(ns) > 0 {
		mark = len(b.failures)
		nv = o.no.eval(b, ns)
		ns = b.survivors(ns, mark, &o.ns)
		if len(ys) == 0 && o.noKind == o.kind {
			return nv
		}
	}
	nulls := o.yesKind == kindNil || o.noKind == kindNil ||
		yv != nil && yv.null != nil || nv != nil && nv.null != nil
	o.out.prepare(o.kind, b.n, nulls)
	if yv != nil {
		copyRows(&o.out, yv, o.yesKind, ys)
	}
	if nv != nil {
		copyRows(&o.out, nv, o.noKind, ns)
	}
	return &o.out
}

// coalesceOp is `a ?? b`: b is evaluated on the rows where a is nil.
type coalesceOp struct {
	left, right         op
	kind                kind // the result's; an operand is of this kind or nil
	leftKind, rightKind kind
	sel, rest           []int32
	out                 vector
}

func (o *coalesceOp) eval(b *batch, sel []int32) *vector {
	mark := len(b.failures)
	l := o.left.eval(b, sel)
	if l.null == nil && o.leftKind == o.kind {
		return l
	}
	sel = b.survivors(sel, mark, &o.sel)
	rest := o.rest[:0]
	for _, i := range sel {
		if l.null[i] {
			rest = append(rest, i)
		}
	}
	o.rest = rest
	if len(rest) == 0 && o.leftKind == o.kind {
		return l
	}
	mark = len(b.failures)
	r := o.right.eval(b, rest)
	rest = b.survivors(rest, mark, &o.rest)
	if len(rest) == len(sel) && o.rightKind == o.kind {
		return r // every row was nil on the left
	}
	o.out.prepare(o.kind, b.n, o.rightKind == kindNil || r.null != nil)
	copyRows(&o.out, l, o.leftKind, sel)
	copyRows(&o.out, r, o.rightKind, rest)
	return &o.out
}

// nilIsFalseOp ends a condition compiled with [AsBool]: the machine's last
// instruction turns nil into false.
type nilIsFalseOp struct {
	x   op
	out vector
}

func (o *nilIsFalseOp) eval(b *batch, sel []int32) *vector {
	x := o.x.eval(b, sel)
	if x.null == nil {
		return x
	}
	o.out.prepare(kindBool, b.n, false)
	for _, i := range sel {
		o.out.bools[i] = x.bools[i] && !x.null[i]
	}
	return &o.out
}
