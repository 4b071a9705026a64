package rowexpr

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/expr-lang/expr/builtin"
)

// funcOp calls one of expr's builtins. Its arguments are evaluated in order,
// each on the rows where the previous ones did not fail; a strict builtin
// fails on a nil argument, as the machine's type assertions do, and the
// kernel computes the rest.
type funcOp struct {
	args   []op
	kinds  []kind
	vecs   []*vector
	kind   kind
	strict *strictness
	// column is the call's position, for the failures the kernel reports.
	column int
	kernel func(o *funcOp, b *batch, sel []int32)
	sel    []int32
	out    vector
}

func (o *funcOp) eval(b *batch, sel []int32) *vector {
	for k, arg := range o.args {
		mark := len(b.failures)
		o.vecs[k] = arg.eval(b, sel)
		sel = b.survivors(sel, mark, &o.sel)
	}
	if o.strict != nil {
		var x, y, z *vector
		switch len(o.vecs) {
		case 3:
			z = o.vecs[2]
			fallthrough
		case 2:
			y = o.vecs[1]
			fallthrough
		case 1:
			x = o.vecs[0]
		}
		sel = b.nonNil(sel, o.strict, &o.sel, x, y, z)
	}
	o.out.prepare(o.kind, b.n, false)
	o.kernel(o, b, sel)
	return &o.out
}

// builtinKernels are the builtins the columnar evaluator implements, by name
// and number of arguments; strict ones fail on nil. check, given the
// argument kinds and the call's kind, tells whether the kernel applies.
var builtinKernels = map[string]struct {
	args   []int
	strict bool
	check  func(args []kind, result kind) bool
	kernel func(o *funcOp, b *batch, sel []int32)
}{
	"lower":       {[]int{1}, true, allStrings(kindString), stringMap(lowerString)},
	"upper":       {[]int{1}, true, allStrings(kindString), stringMap(upperString)},
	"trim":        {[]int{1, 2}, true, allStrings(kindString), trimKernel(strings.TrimSpace, strings.Trim)},
	"trimPrefix":  {[]int{1, 2}, true, allStrings(kindString), trimKernel(func(s string) string { return strings.TrimPrefix(s, " ") }, strings.TrimPrefix)},
	"trimSuffix":  {[]int{1, 2}, true, allStrings(kindString), trimKernel(func(s string) string { return strings.TrimSuffix(s, " ") }, strings.TrimSuffix)},
	"hasPrefix":   {[]int{2}, true, allStrings(kindBool), stringTest(strings.HasPrefix)},
	"hasSuffix":   {[]int{2}, true, allStrings(kindBool), stringTest(strings.HasSuffix)},
	"indexOf":     {[]int{2}, true, allStrings(kindInt), stringIndex(strings.Index)},
	"lastIndexOf": {[]int{2}, true, allStrings(kindInt), stringIndex(strings.LastIndex)},
	"replace":     {[]int{3}, true, allStrings(kindString), replaceKernel},
	"len":         {[]int{1}, true, allStrings(kindInt), lenKernel},
	"abs":         {[]int{1}, true, numberTo(0), absKernel},
	"ceil":        {[]int{1}, true, numberTo(kindFloat), roundKernel(math.Ceil)},
	"floor":       {[]int{1}, true, numberTo(kindFloat), roundKernel(math.Floor)},
	"round":       {[]int{1}, true, numberTo(kindFloat), roundKernel(math.Round)},
	"int":         {[]int{1}, true, convertible(kindInt), intKernel},
	"float":       {[]int{1}, true, convertible(kindFloat), floatKernel},
	"string":      {[]int{1}, false, func([]kind, kind) bool { return true }, stringKernel},
}

// allStrings checks that every argument is a string and the result is of
// kind result.
func allStrings(result kind) func([]kind, kind) bool {
	return func(args []kind, r kind) bool {
		for _, k := range args {
			if k != kindString {
				return false
			}
		}
		return r == result
	}
}

// numberTo checks for one int or float argument and a result of kind
// result, or of the argument's kind if result is 0.
func numberTo(result kind) func([]kind, kind) bool {
	return func(args []kind, r kind) bool {
		a := args[0]
		if a != kindInt && a != kindFloat {
			return false
		}
		if result == 0 {
			return r == a
		}
		return r == result
	}
}

// convertible checks for int(x) and float(x) of a number, a string or nil.
func convertible(result kind) func([]kind, kind) bool {
	return func(args []kind, r kind) bool {
		switch args[0] {
		case kindInt, kindFloat, kindString, kindNil:
			return r == result
		}
		return false
	}
}

func stringMap(f func(*arena, string) string) func(*funcOp, *batch, []int32) {
	return func(o *funcOp, b *batch, sel []int32) {
		in := o.vecs[0].strs
		for _, i := range sel {
			o.out.strs[i] = f(&b.arena, in[i])
		}
	}
}

func trimKernel(one func(string) string, two func(string, string) string) func(*funcOp, *batch, []int32) {
	return func(o *funcOp, b *batch, sel []int32) {
		s := o.vecs[0].strs
		if len(o.vecs) == 1 {
			for _, i := range sel {
				o.out.strs[i] = one(s[i])
			}
			return
		}
		t := o.vecs[1].strs
		for _, i := range sel {
			o.out.strs[i] = two(s[i], t[i])
		}
	}
}

func stringTest(f func(string, string) bool) func(*funcOp, *batch, []int32) {
	return func(o *funcOp, b *batch, sel []int32) {
		s, t := o.vecs[0].strs, o.vecs[1].strs
		for _, i := range sel {
			o.out.bools[i] = f(s[i], t[i])
		}
	}
}

func stringIndex(f func(string, string) int) func(*funcOp, *batch, []int32) {
	return func(o *funcOp, b *batch, sel []int32) {
		s, t := o.vecs[0].strs, o.vecs[1].strs
		for _, i := range sel {
			o.out.ints[i] = f(s[i], t[i])
		}
	}
}

func replaceKernel(o *funcOp, b *batch, sel []int32) {
	s, old, repl := o.vecs[0].strs, o.vecs[1].strs, o.vecs[2].strs
	for _, i := range sel {
		o.out.strs[i] = strings.ReplaceAll(s[i], old[i], repl[i])
	}
}

func lenKernel(o *funcOp, b *batch, sel []int32) {
	s := o.vecs[0].strs
	for _, i := range sel {
		o.out.ints[i] = utf8.RuneCountInString(s[i])
	}
}

// absKernel negates what is below zero, as builtin.Abs does: -0.0 and NaN
// are returned as they are, and the smallest int stays negative.
func absKernel(o *funcOp, b *batch, sel []int32) {
	if o.kinds[0] == kindInt {
		x := o.vecs[0].ints
		for _, i := range sel {
			if x[i] < 0 {
				o.out.ints[i] = -x[i]
			} else {
				o.out.ints[i] = x[i]
			}
		}
		return
	}
	x := o.vecs[0].floats
	for _, i := range sel {
		if x[i] < 0 {
			o.out.floats[i] = -x[i]
		} else {
			o.out.floats[i] = x[i]
		}
	}
}

func roundKernel(f func(float64) float64) func(*funcOp, *batch, []int32) {
	return func(o *funcOp, b *batch, sel []int32) {
		if o.kinds[0] == kindInt {
			x := o.vecs[0].ints
			for _, i := range sel {
				o.out.floats[i] = float64(x[i])
			}
			return
		}
		x := o.vecs[0].floats
		for _, i := range sel {
			o.out.floats[i] = f(x[i])
		}
	}
}

func intKernel(o *funcOp, b *batch, sel []int32) {
	x := o.vecs[0]
	switch o.kinds[0] {
	case kindInt:
		for _, i := range sel {
			o.out.ints[i] = x.ints[i]
		}
	case kindFloat:
		for _, i := range sel {
			o.out.ints[i] = int(x.floats[i])
		}
	case kindString:
		for _, i := range sel {
			n, err := strconv.Atoi(x.strs[i])
			if err != nil {
				b.fail(i, o.column, panicText(func() { builtin.Int(x.strs[i]) }))
				continue
			}
			o.out.ints[i] = n
		}
	}
}

func floatKernel(o *funcOp, b *batch, sel []int32) {
	x := o.vecs[0]
	switch o.kinds[0] {
	case kindInt:
		for _, i := range sel {
			o.out.floats[i] = float64(x.ints[i])
		}
	case kindFloat:
		for _, i := range sel {
			o.out.floats[i] = x.floats[i]
		}
	case kindString:
		for _, i := range sel {
			f, err := strconv.ParseFloat(x.strs[i], 64)
			if err != nil {
				b.fail(i, o.column, panicText(func() { builtin.Float(x.strs[i]) }))
				continue
			}
			o.out.floats[i] = f
		}
	}
}

// stringKernel is string(x), which formats x with %v: nil is "<nil>".
func stringKernel(o *funcOp, b *batch, sel []int32) {
	x := o.vecs[0]
	var tmp [64]byte
	for _, i := range sel {
		var s string
		switch {
		case x.isNull(i):
			s = "<nil>"
		case o.kinds[0] == kindString:
			s = x.strs[i]
		case o.kinds[0] == kindBool:
			s = strconv.FormatBool(x.bools[i])
		case o.kinds[0] == kindInt:
			s = b.arena.copy(strconv.AppendInt(tmp[:0], int64(x.ints[i]), 10))
		case o.kinds[0] == kindFloat:
			s = b.arena.copy(strconv.AppendFloat(tmp[:0], x.floats[i], 'g', -1, 64))
		case o.kinds[0] == kindTime:
			s = x.times[i].String()
		}
		o.out.strs[i] = s
	}
}

// lowerString is strings.ToLower, writing into the arena: ASCII the same way,
// anything else by strings.ToLower itself.
func lowerString(a *arena, s string) string {
	upper := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return strings.ToLower(s)
		}
		upper = upper || 'A' <= c && c <= 'Z'
	}
	if !upper {
		return s
	}
	buf := a.alloc(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	return str(buf)
}

// upperString is strings.ToUpper, writing into the arena like lowerString.
func upperString(a *arena, s string) string {
	lower := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return strings.ToUpper(s)
		}
		lower = lower || 'a' <= c && c <= 'z'
	}
	if !lower {
		return s
	}
	buf := a.alloc(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		buf[i] = c
	}
	return str(buf)
}

// callBuiltin calls expr's builtin name as the machine does: a failure
// panics.
func callBuiltin(name string, args ...any) any {
	f := builtin.Builtins[builtin.Index[name]]
	switch {
	case f.Fast != nil:
		return f.Fast(args[0])
	case f.Func != nil:
		out, err := f.Func(args...)
		if err != nil {
			panic(err)
		}
		return out
	}
	panic(fmt.Sprintf("builtin %s has no plain implementation", name))
}

// panicText runs f and returns the message the virtual machine would report
// for its panic, or "" if it does not panic.
func panicText(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprintf("%v", r)
		}
	}()
	f()
	return ""
}
