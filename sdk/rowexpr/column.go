package rowexpr

import (
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// column builds an array of expression results of one Arrow type.
type column struct {
	b array.Builder
	// fits reports whether append can store v; append stores it.
	fits   func(v any) bool
	append func(v any)
}

func newColumn(mem memory.Allocator, dt arrow.DataType, n int) *column {
	c := &column{b: array.NewBuilder(mem, dt)}
	c.b.Reserve(n)
	switch b := c.b.(type) {
	case *array.StringBuilder:
		c.fits = func(v any) bool { _, ok := v.(string); return ok || v == nil }
		c.append = func(v any) {
			if s, ok := v.(string); ok {
				b.Append(s)
			} else {
				b.AppendNull()
			}
		}
	case *array.Int64Builder:
		c.fits = func(v any) bool { _, ok := asInt(v); return ok || v == nil }
		c.append = func(v any) {
			if i, ok := asInt(v); ok {
				b.UnsafeAppend(i)
			} else {
				b.AppendNull()
			}
		}
	case *array.Float64Builder:
		c.fits = func(v any) bool { _, ok := asFloat(v); return ok || v == nil }
		c.append = func(v any) {
			if f, ok := asFloat(v); ok {
				b.UnsafeAppend(f)
			} else {
				b.AppendNull()
			}
		}
	case *array.BooleanBuilder:
		c.fits = func(v any) bool { _, ok := v.(bool); return ok || v == nil }
		c.append = func(v any) {
			if x, ok := v.(bool); ok {
				b.UnsafeAppend(x)
			} else {
				b.AppendNull()
			}
		}
	case *array.TimestampBuilder:
		c.fits = func(v any) bool { _, ok := v.(time.Time); return ok || v == nil }
		c.append = func(v any) {
			if t, ok := v.(time.Time); ok {
				b.UnsafeAppend(arrow.Timestamp(t.UnixMicro()))
			} else {
				b.AppendNull()
			}
		}
	case *array.DurationBuilder:
		c.fits = func(v any) bool { _, ok := v.(time.Duration); return ok || v == nil }
		c.append = func(v any) {
			if d, ok := v.(time.Duration); ok {
				b.UnsafeAppend(arrow.Duration(d.Microseconds()))
			} else {
				b.AppendNull()
			}
		}
	default:
		c.fits = func(v any) bool { return v == nil }
		c.append = func(any) { c.b.AppendNull() }
	}
	return c
}

func asInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int:
		return int64(x), true
	case int64:
		return x, true
	case int32:
		return int64(x), true
	case int16:
		return int64(x), true
	case int8:
		return int64(x), true
	case uint:
		return int64(x), true
	case uint64:
		return int64(x), true
	case uint32:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint8:
		return int64(x), true
	}
	return 0, false
}

func asFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	}
	if i, ok := asInt(v); ok {
		return float64(i), true
	}
	return 0, false
}
