package rowexpr

import (
	"strconv"
	"time"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// load fills l with the n values of arr as a vector of kind k, the kind of
// the column's identifier: the values [loader] gives the virtual machine,
// unboxed. A float64 column, and an int64 one where int has 64 bits, is used
// in place; strings reference arr's buffers.
func (l *loaded) load(arr arrow.Array, k kind, n int) {
	v := &l.vec
	if l.borrowed {
		// Arrow's memory must not become the storage of the next batch.
		v.ints, v.floats, l.borrowed = nil, nil, false
	}
	v.null = nil
	if arr.NullN() > 0 || k == kindNil {
		v.nulls = sized(v.nulls, n)
		v.null = v.nulls
		for i := range n {
			v.null[i] = arr.IsNull(i)
		}
	}
	switch a := arr.(type) {
	case *array.Float64:
		if k == kindFloat {
			v.floats, l.borrowed = a.Float64Values(), true
			return
		}
	case *array.Int64:
		if k == kindInt && strconv.IntSize == 64 {
			vals := a.Int64Values()
			v.ints = unsafe.Slice((*int)(unsafe.Pointer(unsafe.SliceData(vals))), len(vals))
			l.borrowed = true
			return
		}
	}
	v.prepare(k, n, v.null != nil)
	switch k {
	case kindString:
		if loadStrings(v.strs, arr) {
			return
		}
	case kindInt:
		if loadInts(v.ints, arr) {
			return
		}
	case kindFloat:
		if a, ok := arr.(*array.Float32); ok {
			for i, x := range a.Float32Values()[:n] {
				v.floats[i] = float64(x)
			}
			return
		}
	case kindBool:
		if a, ok := arr.(*array.Boolean); ok {
			for i := range n {
				v.bools[i] = a.Value(i)
			}
			return
		}
	case kindTime:
		if loadTimes(v.times, arr) {
			return
		}
	case kindNil:
		return
	}
	loadBoxed(v, arr, k, n)
}

func loadStrings(out []string, arr arrow.Array) bool {
	switch a := arr.(type) {
	case *array.String:
		sliceStrings(out, a.ValueBytes(), a.ValueOffsets())
	case *array.LargeString:
		sliceStrings(out, a.ValueBytes(), a.ValueOffsets())
	case *array.StringView:
		for i := range out {
			out[i] = a.Value(i)
		}
	default:
		return false
	}
	return true
}

// sliceStrings sets out[i] to value i of a string array whose values are
// data and offsets offs, as its Value(i) would return it: in place.
func sliceStrings[T int32 | int64](out []string, data []byte, offs []T) {
	if len(out) == 0 {
		return
	}
	base := offs[0]
	offs = offs[:len(out)+1]
	for i := range out {
		start, end := offs[i]-base, offs[i+1]-base
		if start == end {
			out[i] = ""
			continue
		}
		out[i] = unsafe.String(&data[start], int(end-start))
	}
}

func loadInts(out []int, arr arrow.Array) bool {
	switch a := arr.(type) {
	case *array.Int64:
		convertInts(out, a.Int64Values())
	case *array.Int32:
		convertInts(out, a.Int32Values())
	case *array.Int16:
		convertInts(out, a.Int16Values())
	case *array.Int8:
		convertInts(out, a.Int8Values())
	case *array.Uint64:
		convertInts(out, a.Uint64Values())
	case *array.Uint32:
		convertInts(out, a.Uint32Values())
	case *array.Uint16:
		convertInts(out, a.Uint16Values())
	case *array.Uint8:
		convertInts(out, a.Uint8Values())
	default:
		return false
	}
	return true
}

func convertInts[T integer](out []int, in []T) {
	for i, x := range in[:len(out)] {
		out[i] = int(x)
	}
}

func loadTimes(out []time.Time, arr arrow.Array) bool {
	switch a := arr.(type) {
	case *array.Timestamp:
		unit := a.DataType().(*arrow.TimestampType).Unit
		for i, t := range a.TimestampValues()[:len(out)] {
			out[i] = t.ToTime(unit)
		}
	case *array.Date32:
		for i, d := range a.Date32Values()[:len(out)] {
			out[i] = d.ToTime()
		}
	case *array.Date64:
		for i, d := range a.Date64Values()[:len(out)] {
			out[i] = d.ToTime()
		}
	default:
		return false
	}
	return true
}

// loadBoxed loads the types without a fast path (binary, decimal, float16,
// dictionary …) through the virtual machine's own loader.
func loadBoxed(v *vector, arr arrow.Array, k kind, n int) {
	load := loader(arr)
	for i := range n {
		x := load(i)
		if x == nil {
			continue
		}
		switch k {
		case kindString:
			v.strs[i], _ = x.(string)
		case kindInt:
			v.ints[i], _ = x.(int)
		case kindFloat:
			v.floats[i], _ = x.(float64)
		case kindBool:
			v.bools[i], _ = x.(bool)
		case kindTime:
			v.times[i], _ = x.(time.Time)
		}
	}
}
