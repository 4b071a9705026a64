package rowexpr

import (
	"reflect"
	"time"

	"github.com/expr-lang/expr/ast"
)

// kind is the Go type of the values of a node of a columnar program, as the
// type checker inferred it. A value of any kind may also be nil at run time
// (a null column value, a `nil` branch of a conditional), except where an
// operator rules it out.
type kind uint8

const (
	kindNil    kind = iota // the literal nil: every value is nil
	kindBool               // bool
	kindInt                // int
	kindFloat              // float64
	kindString             // string
	kindTime               // time.Time
)

// kindOf returns the kind of the values node produces, if the columnar
// evaluator supports it.
func kindOf(node ast.Node) (kind, bool) {
	if node.Nature().Nil {
		return kindNil, true
	}
	switch node.Type() {
	case typeBool:
		return kindBool, true
	case typeInt:
		return kindInt, true
	case typeFloat:
		return kindFloat, true
	case typeString:
		return kindString, true
	case typeTime:
		return kindTime, true
	}
	return 0, false
}

// sample returns a value of kind k, or nil, for calling expr's own runtime
// when a message must be worded exactly as its virtual machine words it.
func (k kind) sample(null bool) any {
	if null {
		return nil
	}
	switch k {
	case kindBool:
		return false
	case kindInt:
		return 0
	case kindFloat:
		return 0.0
	case kindString:
		return ""
	case kindTime:
		return time.Time{}
	}
	return nil
}

func (k kind) String() string {
	if k == kindNil {
		return "nil"
	}
	return reflect.TypeOf(k.sample(false)).String()
}

// vector holds one node's values over a batch, indexed by row. Only the rows
// the node was evaluated on (its selection) hold meaningful values; the
// slice matching the node's kind holds them.
type vector struct {
	// null reports the rows whose value is nil; a nil slice means none is.
	null   []bool
	nulls  []bool // the storage of null, kept while null is nil
	bools  []bool
	ints   []int
	floats []float64
	strs   []string
	times  []time.Time
}

// isNull reports whether row i is nil.
func (v *vector) isNull(i int32) bool { return v.null != nil && v.null[i] }

// sized returns s with length n, reusing its storage when it is big enough.
func sized[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n, n+n/4)
	}
	return s[:n]
}

// prepare sizes the slice of kind k, and the null slice if nulls is set,
// for a batch of n rows. Without nulls, the vector reports no nil.
func (v *vector) prepare(k kind, n int, nulls bool) {
	switch k {
	case kindBool:
		v.bools = sized(v.bools, n)
	case kindInt:
		v.ints = sized(v.ints, n)
	case kindFloat:
		v.floats = sized(v.floats, n)
	case kindString:
		v.strs = sized(v.strs, n)
	case kindTime:
		v.times = sized(v.times, n)
	}
	if nulls || k == kindNil {
		v.nulls = sized(v.nulls, n)
		v.null = v.nulls
	} else {
		v.null = nil
	}
}

// copyRows copies the rows sel of src, whose kind is k, to dst, nulls
// included; dst must have been prepared with nulls if src may hold any.
func copyRows(dst, src *vector, k kind, sel []int32) {
	switch k {
	case kindBool:
		for _, i := range sel {
			dst.bools[i] = src.bools[i]
		}
	case kindInt:
		for _, i := range sel {
			dst.ints[i] = src.ints[i]
		}
	case kindFloat:
		for _, i := range sel {
			dst.floats[i] = src.floats[i]
		}
	case kindString:
		for _, i := range sel {
			dst.strs[i] = src.strs[i]
		}
	case kindTime:
		for _, i := range sel {
			dst.times[i] = src.times[i]
		}
	}
	if dst.null == nil {
		return
	}
	if src.null == nil {
		for _, i := range sel {
			dst.null[i] = false
		}
		return
	}
	for _, i := range sel {
		dst.null[i] = src.null[i]
	}
}

// value returns row i of v, whose kind is k, as the virtual machine would
// hold it: nil, or a value of the kind's Go type.
func (v *vector) value(k kind, i int32) any {
	if v.isNull(i) {
		return nil
	}
	switch k {
	case kindBool:
		return v.bools[i]
	case kindInt:
		return v.ints[i]
	case kindFloat:
		return v.floats[i]
	case kindString:
		return v.strs[i]
	case kindTime:
		return v.times[i]
	}
	return nil
}
