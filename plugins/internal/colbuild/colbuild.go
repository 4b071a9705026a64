// Package colbuild accumulates the values of one column of a batch being
// decoded from text, then builds the Arrow array in one step.
//
// It exists because arrow's builders do per-value bookkeeping that shows up
// in profiles when a source decodes millions of fields a second, and because
// a decoder that may reject a row half-way needs appends that cannot fail
// part-way. Values go into Go slices that are reused from batch to batch;
// Build copies them once into buffers from the host's allocator, so the
// arrays follow the ownership rule like any other.
package colbuild

import (
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sluicedata/sluice/plugins/internal/textconv"
)

// Column accumulates one column's values.
type Column interface {
	// Append converts text to the column's type and appends it. If it does
	// not convert, Append appends a null and returns false.
	Append(text []byte) bool
	// AppendNull appends a null.
	AppendNull()
	// AppendEmpty appends what an empty field means: an empty string for
	// text, a null otherwise.
	AppendEmpty()
	// Len is the number of values appended since the last Build.
	Len() int
	// Build returns the values as an array allocated from mem and starts
	// the next batch. The caller owns the array.
	Build(mem memory.Allocator) arrow.Array
}

// New returns an accumulator for a column of type dt, which must be one of
// the types in package coltype.
func New(dt arrow.DataType) Column {
	switch t := dt.(type) {
	case *arrow.StringType:
		return &String{offsets: []int32{0}}
	case *arrow.Int64Type:
		return &fixed[int64]{dt: dt, parse: textconv.ParseInt64}
	case *arrow.Int32Type:
		return &fixed[int32]{dt: dt, parse: parseInt32}
	case *arrow.Float64Type:
		return &fixed[float64]{dt: dt, parse: textconv.ParseFloat}
	case *arrow.TimestampType:
		return &fixed[int64]{dt: dt, parse: textconv.ParseTimestamp}
	case *arrow.Date32Type:
		return &fixed[int32]{dt: dt, parse: textconv.ParseDate}
	case *arrow.BooleanType:
		return &fixed[bool]{dt: dt, parse: textconv.ParseBool}
	case *arrow.Decimal128Type:
		return &fixed[decimal128.Num]{dt: dt, parse: decimalParser(t)}
	}
	panic("colbuild: unsupported type " + dt.String())
}

func parseInt32(b []byte) (int32, bool) {
	v, ok := textconv.ParseInt64(b)
	if !ok || v != int64(int32(v)) {
		return 0, false
	}
	return int32(v), true
}

func decimalParser(t *arrow.Decimal128Type) func([]byte) (decimal128.Num, bool) {
	return func(b []byte) (decimal128.Num, bool) {
		if len(b) == 0 {
			return decimal128.Num{}, false
		}
		n, err := decimal128.FromString(unsafe.String(unsafe.SliceData(b), len(b)), t.Precision, t.Scale)
		return n, err == nil && n.FitsInPrecision(t.Precision)
	}
}

// nulls records which rows are null, as row numbers: cheap when, as usual,
// few values are null.
type nulls []int32

func (n nulls) bitmap(mem memory.Allocator, rows int) *memory.Buffer {
	if len(n) == 0 {
		return nil
	}
	buf := memory.NewResizableBuffer(mem)
	buf.Resize(int(bitutil.BytesForBits(int64(rows))))
	bits := buf.Bytes()
	for i := range bits {
		bits[i] = 0xff
	}
	for _, row := range n {
		bitutil.ClearBit(bits, int(row))
	}
	return buf
}

func copyBuffer(mem memory.Allocator, src []byte) *memory.Buffer {
	buf := memory.NewResizableBuffer(mem)
	buf.Resize(len(src))
	copy(buf.Bytes(), src)
	return buf
}

func makeArray(dt arrow.DataType, rows int, nullCount int, bufs ...*memory.Buffer) arrow.Array {
	data := array.NewData(dt, rows, bufs, nil, nullCount, 0)
	arr := array.MakeFromData(data)
	data.Release()
	for _, b := range bufs {
		if b != nil {
			b.Release()
		}
	}
	return arr
}

// String accumulates a text column.
type String struct {
	offsets []int32
	data    []byte
	nulls   nulls
}

func (c *String) Append(v []byte) bool {
	c.data = append(c.data, v...)
	c.offsets = append(c.offsets, int32(len(c.data)))
	return true
}

// AppendString appends v.
func (c *String) AppendString(v string) {
	c.data = append(c.data, v...)
	c.offsets = append(c.offsets, int32(len(c.data)))
}

func (c *String) AppendNull() {
	c.nulls = append(c.nulls, int32(len(c.offsets)-1))
	c.offsets = append(c.offsets, int32(len(c.data)))
}

func (c *String) AppendEmpty() { c.offsets = append(c.offsets, int32(len(c.data))) }

func (c *String) Len() int { return len(c.offsets) - 1 }

func (c *String) Build(mem memory.Allocator) arrow.Array {
	rows := c.Len()
	offsets := copyBuffer(mem, arrow.Int32Traits.CastToBytes(c.offsets))
	data := copyBuffer(mem, c.data)
	arr := makeArray(arrow.BinaryTypes.String, rows, len(c.nulls), c.nulls.bitmap(mem, rows), offsets, data)
	c.offsets, c.data, c.nulls = c.offsets[:1], c.data[:0], c.nulls[:0]
	return arr
}

// fixed accumulates a column of fixed-width values.
type fixed[T int32 | int64 | float64 | bool | decimal128.Num] struct {
	dt     arrow.DataType
	parse  func([]byte) (T, bool)
	values []T
	nulls  nulls
}

func (c *fixed[T]) Append(v []byte) bool {
	x, ok := c.parse(v)
	if !ok {
		c.AppendNull()
		return false
	}
	c.values = append(c.values, x)
	return true
}

func (c *fixed[T]) AppendNull() {
	var zero T
	c.nulls = append(c.nulls, int32(len(c.values)))
	c.values = append(c.values, zero)
}

func (c *fixed[T]) AppendEmpty() { c.AppendNull() }

func (c *fixed[T]) Len() int { return len(c.values) }

func (c *fixed[T]) Build(mem memory.Allocator) arrow.Array {
	rows := len(c.values)
	var values *memory.Buffer
	switch vs := any(c.values).(type) {
	case []bool:
		values = memory.NewResizableBuffer(mem)
		values.Resize(int(bitutil.BytesForBits(int64(rows))))
		bits := values.Bytes()
		clear(bits)
		for i, v := range vs {
			if v {
				bitutil.SetBit(bits, i)
			}
		}
	default:
		var zero T
		size := int(unsafe.Sizeof(zero))
		raw := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(c.values))), rows*size)
		values = copyBuffer(mem, raw)
	}
	arr := makeArray(c.dt, rows, len(c.nulls), c.nulls.bitmap(mem, rows), values)
	c.values, c.nulls = c.values[:0], c.nulls[:0]
	return arr
}
