package rowexpr

import (
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// arrayOf builds an array of type dt — the type [Program.Field] reports for
// a program of kind k — from the n rows of v, null where v is nil or dropped
// is set (dropped is nil if no row is). Strings are copied once, from
// wherever they are (input buffers, the arena) into the array.
func arrayOf(mem memory.Allocator, dt arrow.DataType, k kind, v *vector, dropped []bool, n int) (arrow.Array, error) {
	valid, validity, nulls := validityOf(mem, n, v.null, dropped)
	var buffers []*memory.Buffer
	switch k {
	case kindString:
		if dt.ID() != arrow.STRING {
			return nil, release(fmt.Errorf("strings into %s", dt), validity)
		}
		size := 0
		for i := range n {
			if valid == nil || valid[i] {
				size += len(v.strs[i])
			}
		}
		if size > math.MaxInt32 {
			return nil, release(fmt.Errorf("%d bytes of strings do not fit in a utf8 column", size), validity)
		}
		offsets := newBuffer(mem, (n+1)*4, false)
		data := newBuffer(mem, size, false)
		offs := arrow.Int32Traits.CastFromBytes(offsets.Bytes())
		bytes := data.Bytes()
		at := 0
		for i := range n {
			offs[i] = int32(at)
			if valid == nil || valid[i] {
				at += copy(bytes[at:], v.strs[i])
			}
		}
		offs[n] = int32(at)
		buffers = []*memory.Buffer{validity, offsets, data}
	case kindInt:
		values := newBuffer(mem, n*8, false)
		out := arrow.Int64Traits.CastFromBytes(values.Bytes())
		for i := range n {
			out[i] = int64(v.ints[i])
		}
		zeroInvalid(out, valid)
		buffers = []*memory.Buffer{validity, values}
	case kindFloat:
		values := newBuffer(mem, n*8, false)
		out := arrow.Float64Traits.CastFromBytes(values.Bytes())
		copy(out, v.floats[:n])
		zeroInvalid(out, valid)
		buffers = []*memory.Buffer{validity, values}
	case kindTime:
		values := newBuffer(mem, n*8, false)
		out := arrow.Int64Traits.CastFromBytes(values.Bytes())
		for i := range n {
			if valid == nil || valid[i] {
				out[i] = v.times[i].UnixMicro()
			}
		}
		zeroInvalid(out, valid)
		buffers = []*memory.Buffer{validity, values}
	case kindBool:
		values := newBuffer(mem, int(bitutil.BytesForBits(int64(n))), true)
		bits := values.Bytes()
		for i := range n {
			if (valid == nil || valid[i]) && v.bools[i] {
				bitutil.SetBit(bits, i)
			}
		}
		buffers = []*memory.Buffer{validity, values}
	default:
		return nil, release(fmt.Errorf("values of kind %s have no column type", k), validity)
	}
	data := array.NewData(dt, n, buffers, nil, nulls, 0)
	for _, b := range buffers {
		if b != nil {
			b.Release()
		}
	}
	defer data.Release()
	return array.MakeFromData(data), nil
}

// zeroInvalid zeroes the values of the rows that are not valid, which hold
// whatever their vector held there.
func zeroInvalid[T int64 | float64](out []T, valid []bool) {
	if valid == nil {
		return
	}
	for i, ok := range valid {
		if !ok {
			out[i] = 0
		}
	}
}

func release(err error, b *memory.Buffer) error {
	if b != nil {
		b.Release()
	}
	return err
}

// maskOf builds the boolean array of a condition of kind bool: true where v
// is true and the row was not dropped.
func maskOf(mem memory.Allocator, v *vector, dropped []bool, n int) (*array.Boolean, int) {
	values := newBuffer(mem, int(bitutil.BytesForBits(int64(n))), true)
	bits := values.Bytes()
	kept := 0
	for i := range n {
		if v.bools[i] && (dropped == nil || !dropped[i]) && (v.null == nil || !v.null[i]) {
			bitutil.SetBit(bits, i)
			kept++
		}
	}
	data := array.NewData(arrow.FixedWidthTypes.Boolean, n, []*memory.Buffer{nil, values}, nil, 0, 0)
	values.Release()
	defer data.Release()
	return array.NewBooleanData(data), kept
}

// validityOf returns, for n rows of which those where null or dropped is
// set are null (either may be nil: none is), which rows are valid, the
// validity bitmap and the number of nulls; valid and the bitmap are nil if
// every row is valid.
func validityOf(mem memory.Allocator, n int, null, dropped []bool) (valid []bool, bitmap *memory.Buffer, nulls int) {
	if null == nil && dropped == nil {
		return nil, nil, 0
	}
	valid = make([]bool, n)
	for i := range n {
		valid[i] = (null == nil || !null[i]) && (dropped == nil || !dropped[i])
		if !valid[i] {
			nulls++
		}
	}
	if nulls == 0 {
		return nil, nil, 0
	}
	bitmap = newBuffer(mem, int(bitutil.BytesForBits(int64(n))), true)
	bits := bitmap.Bytes()
	for i, ok := range valid {
		if ok {
			bitutil.SetBit(bits, i)
		}
	}
	return valid, bitmap, nulls
}

// newBuffer returns a buffer of size bytes from mem, zeroed if zero is set.
func newBuffer(mem memory.Allocator, size int, zero bool) *memory.Buffer {
	b := memory.NewResizableBuffer(mem)
	b.Resize(size)
	if zero {
		clear(b.Bytes())
	}
	return b
}
