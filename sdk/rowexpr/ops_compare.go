package rowexpr

import (
	"cmp"
	"regexp"
	"strings"
)

// binaryArgs evaluates the operands of a binary operator, left then right on
// the rows where left did not fail, as the machine does, and returns them
// with the rows where neither failed.
type binaryArgs struct {
	left, right op
	sel         []int32
}

func (a *binaryArgs) eval(b *batch, sel []int32) (l, r *vector, rows []int32) {
	mark := len(b.failures)
	l = a.left.eval(b, sel)
	sel = b.survivors(sel, mark, &a.sel)
	mark = len(b.failures)
	r = a.right.eval(b, sel)
	return l, r, b.survivors(sel, mark, &a.sel)
}

// equalOp is `==`, or `!=` when negate is set. Between two ints or two
// strings the machine asserts both operands' types, so a nil fails (strict
// is set); otherwise it compares like runtime.Equal: two nils are equal, a
// nil and a value are not, ints and floats compare as numbers, times with
// Equal, and values of different types are unequal.
type equalOp struct {
	args   binaryArgs
	lk, rk kind
	negate bool
	strict *strictness
	out    vector
}

func (o *equalOp) eval(b *batch, sel []int32) *vector {
	l, r, sel := o.args.eval(b, sel)
	if o.strict != nil {
		sel = b.nonNil(sel, o.strict, &o.args.sel, l, r, nil)
	}
	o.out.prepare(kindBool, b.n, false)
	out := o.out.bools
	switch {
	case o.lk == kindInt && o.rk == kindInt:
		equalRows(out, l.ints, r.ints, sel)
	case o.lk == kindFloat && o.rk == kindFloat:
		equalRows(out, l.floats, r.floats, sel)
	case o.lk == kindString && o.rk == kindString:
		equalRows(out, l.strs, r.strs, sel)
	case o.lk == kindBool && o.rk == kindBool:
		equalRows(out, l.bools, r.bools, sel)
	case o.lk == kindInt && o.rk == kindFloat:
		for _, i := range sel {
			out[i] = float64(l.ints[i]) == r.floats[i]
		}
	case o.lk == kindFloat && o.rk == kindInt:
		for _, i := range sel {
			out[i] = l.floats[i] == float64(r.ints[i])
		}
	case o.lk == kindTime && o.rk == kindTime:
		for _, i := range sel {
			out[i] = l.times[i].Equal(r.times[i])
		}
	default: // values of different types, or nil
		for _, i := range sel {
			out[i] = false
		}
	}
	if o.strict == nil && (l.null != nil || r.null != nil) {
		for _, i := range sel {
			ln, rn := l.isNull(i), r.isNull(i)
			if ln || rn {
				out[i] = ln && rn
			}
		}
	}
	if o.negate {
		for _, i := range sel {
			out[i] = !out[i]
		}
	}
	return &o.out
}

func equalRows[T comparable](out []bool, l, r []T, sel []int32) {
	for _, i := range sel {
		out[i] = l[i] == r[i]
	}
}

// orderOp is `<`, `>`, `<=` and `>=` on numbers (an int compared with a
// float is converted first), strings and times. A nil operand fails.
type orderOp struct {
	args   binaryArgs
	kind   kind // of both operands, after conversion
	cmp    string
	strict strictness
	out    vector
}

func (o *orderOp) eval(b *batch, sel []int32) *vector {
	l, r, sel := o.args.eval(b, sel)
	sel = b.nonNil(sel, &o.strict, &o.args.sel, l, r, nil)
	o.out.prepare(kindBool, b.n, false)
	out := o.out.bools
	switch o.kind {
	case kindInt:
		orderRows(out, l.ints, r.ints, sel, o.cmp)
	case kindFloat:
		orderRows(out, l.floats, r.floats, sel, o.cmp)
	case kindString:
		orderRows(out, l.strs, r.strs, sel, o.cmp)
	case kindTime:
		for _, i := range sel {
			c := l.times[i].Compare(r.times[i])
			out[i] = compared(c, o.cmp)
		}
	}
	return &o.out
}

func orderRows[T cmp.Ordered](out []bool, l, r []T, sel []int32, op string) {
	switch op {
	case "<":
		for _, i := range sel {
			out[i] = l[i] < r[i]
		}
	case ">":
		for _, i := range sel {
			out[i] = l[i] > r[i]
		}
	case "<=":
		for _, i := range sel {
			out[i] = l[i] <= r[i]
		}
	case ">=":
		for _, i := range sel {
			out[i] = l[i] >= r[i]
		}
	}
}

// compared tells whether the result c of a Compare satisfies op.
func compared(c int, op string) bool {
	switch op {
	case "<":
		return c < 0
	case ">":
		return c > 0
	case "<=":
		return c <= 0
	}
	return c >= 0
}

// inSetOp is `x in [literals]` where the optimiser turned the list into a
// set of ints or of strings: the machine looks the value up in a Go map, so
// nil looks up the zero value.
type inSetOp struct {
	x       op
	kind    kind // the needle's: int, string or nil
	ints    map[int]struct{}
	strs    map[string]struct{}
	setKind kind // the set's: int or string
	out     vector
}

func (o *inSetOp) eval(b *batch, sel []int32) *vector {
	x := o.x.eval(b, sel)
	o.out.prepare(kindBool, b.n, false)
	out := o.out.bools
	for _, i := range sel {
		null := x.isNull(i)
		if o.setKind == kindInt {
			v := 0
			if !null {
				v = x.ints[i]
			}
			_, out[i] = o.ints[v]
		} else {
			v := ""
			if !null {
				v = x.strs[i]
			}
			_, out[i] = o.strs[v]
		}
	}
	return &o.out
}

// inListOp is `x in [literals]` left as a list: the machine compares x with
// each element like ==, so nil is in no list of literals.
type inListOp struct {
	x      op
	kind   kind
	ints   []int
	floats []float64
	strs   []string
	bools  []bool
	out    vector
}

func (o *inListOp) eval(b *batch, sel []int32) *vector {
	x := o.x.eval(b, sel)
	o.out.prepare(kindBool, b.n, false)
	out := o.out.bools
	for _, i := range sel {
		found := false
		if !x.isNull(i) {
			switch o.kind {
			case kindInt:
				v := x.ints[i]
				for _, e := range o.ints {
					found = found || e == v
				}
				for _, e := range o.floats {
					found = found || e == float64(v)
				}
			case kindFloat:
				v := x.floats[i]
				for _, e := range o.ints {
					found = found || float64(e) == v
				}
				for _, e := range o.floats {
					found = found || e == v
				}
			case kindString:
				for _, e := range o.strs {
					found = found || e == x.strs[i]
				}
			case kindBool:
				for _, e := range o.bools {
					found = found || e == x.bools[i]
				}
			}
		}
		out[i] = found
	}
	return &o.out
}

// stringTestOp is `contains`, `startsWith`, `endsWith` and `matches` with a
// literal pattern: a nil operand makes it false.
type stringTestOp struct {
	args binaryArgs
	op   string
	re   *regexp.Regexp // matches
	out  vector
}

func (o *stringTestOp) eval(b *batch, sel []int32) *vector {
	l, r, sel := o.args.eval(b, sel)
	o.out.prepare(kindBool, b.n, false)
	out := o.out.bools
	for _, i := range sel {
		if l.isNull(i) || r.isNull(i) {
			out[i] = false
			continue
		}
		switch o.op {
		case "contains":
			out[i] = strings.Contains(l.strs[i], r.strs[i])
		case "startsWith":
			out[i] = strings.HasPrefix(l.strs[i], r.strs[i])
		case "endsWith":
			out[i] = strings.HasSuffix(l.strs[i], r.strs[i])
		case "matches":
			out[i] = o.re.MatchString(l.strs[i])
		}
	}
	return &o.out
}
