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
// is set. Strings are copied once, from wherever they are (input buffers, the
// arena) into the array.
func arrayOf(mem memory.Allocator, dt arrow.DataType, k kind, v *vector, dropped []bool, n int) (arrow.Array, error) {
	valid := func(i int) bool { return !dropped[i] && (v.null == nil || !v.null[i]) }
	validity, nulls := validityOf(mem, n, valid)
	var buffers []*memory.Buffer
	switch k {
	case kindString:
		if dt.ID() != arrow.STRING {
			return nil, fmt.Errorf("strings into %s", dt)
		}
		size := 0
		for i := range n {
			if valid(i) {
				size += len(v.strs[i])
			}
		}
		if size > math.MaxInt32 {
			if validity != nil {
				validity.Release()
			}
			return nil, fmt.Errorf("%d bytes of strings do not fit in a utf8 column", size)
		}
		offsets := newBuffer(mem, (n+1)*4)
		data := newBuffer(mem, size)
		offs := arrow.Int32Traits.CastFromBytes(offsets.Bytes())
		bytes := data.Bytes()
		at := 0
		for i := range n {
			offs[i] = int32(at)
			if valid(i) {
				at += copy(bytes[at:], v.strs[i])
			}
		}
		offs[n] = int32(at)
		buffers = []*memory.Buffer{validity, offsets, data}
	case kindInt:
		values := newBuffer(mem, n*8)
		out := arrow.Int64Traits.CastFromBytes(values.Bytes())
		for i := range n {
			if valid(i) {
				out[i] = int64(v.ints[i])
			}
		}
		buffers = []*memory.Buffer{validity, values}
	case kindFloat:
		values := newBuffer(mem, n*8)
		out := arrow.Float64Traits.CastFromBytes(values.Bytes())
		for i := range n {
			if valid(i) {
				out[i] = v.floats[i]
			}
		}
		buffers = []*memory.Buffer{validity, values}
	case kindBool:
		values := newBuffer(mem, int(bitutil.BytesForBits(int64(n))))
		bits := values.Bytes()
		for i := range n {
			if valid(i) && v.bools[i] {
				bitutil.SetBit(bits, i)
			}
		}
		buffers = []*memory.Buffer{validity, values}
	case kindTime:
		values := newBuffer(mem, n*8)
		out := arrow.Int64Traits.CastFromBytes(values.Bytes())
		for i := range n {
			if valid(i) {
				out[i] = v.times[i].UnixMicro()
			}
		}
		buffers = []*memory.Buffer{validity, values}
	default:
		if validity != nil {
			validity.Release()
		}
		return nil, fmt.Errorf("values of kind %s have no column type", k)
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

// maskOf builds the boolean array of a condition of kind bool: true where v
// is true and the row was not dropped.
func maskOf(mem memory.Allocator, v *vector, dropped []bool, n int) (*array.Boolean, int) {
	values := newBuffer(mem, int(bitutil.BytesForBits(int64(n))))
	bits := values.Bytes()
	kept := 0
	for i := range n {
		if v.bools[i] && !dropped[i] && (v.null == nil || !v.null[i]) {
			bitutil.SetBit(bits, i)
			kept++
		}
	}
	data := array.NewData(arrow.FixedWidthTypes.Boolean, n, []*memory.Buffer{nil, values}, nil, 0, 0)
	values.Release()
	defer data.Release()
	return array.NewBooleanData(data), kept
}

// validityOf returns the validity bitmap of n rows and the number of nulls,
// or no bitmap if every row is valid.
func validityOf(mem memory.Allocator, n int, valid func(int) bool) (*memory.Buffer, int) {
	nulls := 0
	for i := range n {
		if !valid(i) {
			nulls++
		}
	}
	if nulls == 0 {
		return nil, 0
	}
	b := newBuffer(mem, int(bitutil.BytesForBits(int64(n))))
	bits := b.Bytes()
	for i := range n {
		if valid(i) {
			bitutil.SetBit(bits, i)
		}
	}
	return b, nulls
}

// newBuffer returns a zeroed buffer of size bytes from mem.
func newBuffer(mem memory.Allocator, size int) *memory.Buffer {
	b := memory.NewResizableBuffer(mem)
	b.Resize(size)
	clear(b.Bytes())
	return b
}
