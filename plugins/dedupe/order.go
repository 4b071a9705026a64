package dedupe

import (
	"cmp"
	"reflect"
	"strings"
	"time"
)

// orderColumn holds the order value of every winner, for keep = greatest or
// least, in a slice of the expression's own type: a time or an integer as an
// int64, a float as a float64, text as a string. Boxing each value in an
// interface would cost several times more memory per held row.
type orderColumn struct {
	kind   orderKind
	ints   []int64
	floats []float64
	texts  []string
	others []any
	null   []bool
}

type orderKind int

const (
	orderInts orderKind = iota
	orderFloats
	orderTexts
	orderOthers
)

func newOrderColumn(t reflect.Type) *orderColumn {
	switch {
	case t == reflect.TypeFor[time.Time](), t == reflect.TypeFor[int](), t == reflect.TypeFor[bool]():
		return &orderColumn{kind: orderInts}
	case t == reflect.TypeFor[float64]():
		return &orderColumn{kind: orderFloats}
	case t == reflect.TypeFor[string]():
		return &orderColumn{kind: orderTexts}
	}
	return &orderColumn{kind: orderOthers}
}

// append adds the order value of a new winner.
func (o *orderColumn) append(v any) {
	o.null = append(o.null, v == nil)
	switch o.kind {
	case orderInts:
		o.ints = append(o.ints, asInt(v))
	case orderFloats:
		f, _ := v.(float64)
		o.floats = append(o.floats, f)
	case orderTexts:
		s, _ := v.(string)
		o.texts = append(o.texts, strings.Clone(s)) // it may point into an Arrow buffer
	default:
		o.others = append(o.others, v)
	}
}

// set replaces winner i's order value.
func (o *orderColumn) set(i int, v any) {
	o.null[i] = v == nil
	switch o.kind {
	case orderInts:
		o.ints[i] = asInt(v)
	case orderFloats:
		o.floats[i], _ = v.(float64)
	case orderTexts:
		s, _ := v.(string)
		o.texts[i] = strings.Clone(s)
	default:
		o.others[i] = v
	}
}

// compare orders v against winner i's value; null is least.
func (o *orderColumn) compare(v any, i int) int {
	switch {
	case v == nil && o.null[i]:
		return 0
	case v == nil:
		return -1
	case o.null[i]:
		return 1
	}
	switch o.kind {
	case orderInts:
		return cmp.Compare(asInt(v), o.ints[i])
	case orderFloats:
		f, _ := v.(float64)
		return cmp.Compare(f, o.floats[i])
	case orderTexts:
		s, _ := v.(string)
		return strings.Compare(s, o.texts[i])
	}
	return compareAny(v, o.others[i])
}

// bytes estimates the memory the column holds.
func (o *orderColumn) bytes() int64 {
	n := int64(len(o.null)) + 8*int64(len(o.ints)+len(o.floats)) + 16*int64(len(o.texts)) + 16*int64(len(o.others))
	for _, s := range o.texts {
		n += int64(len(s))
	}
	return n
}

func asInt(v any) int64 {
	switch x := v.(type) {
	case time.Time:
		return x.UnixNano()
	case int:
		return int64(x)
	case bool:
		if x {
			return 1
		}
	}
	return 0
}

// compareAny orders values of an expression whose type the checker could
// not tell, by their kind when they agree and by their text otherwise.
func compareAny(a, b any) int {
	switch x := a.(type) {
	case int:
		if y, ok := b.(int); ok {
			return cmp.Compare(x, y)
		}
		if y, ok := b.(float64); ok {
			return cmp.Compare(float64(x), y)
		}
	case float64:
		if y, ok := b.(float64); ok {
			return cmp.Compare(x, y)
		}
		if y, ok := b.(int); ok {
			return cmp.Compare(x, float64(y))
		}
	case string:
		if y, ok := b.(string); ok {
			return strings.Compare(x, y)
		}
	case time.Time:
		if y, ok := b.(time.Time); ok {
			return x.Compare(y)
		}
	}
	s, _ := keyText(a)
	t, _ := keyText(b)
	return strings.Compare(s, t)
}
