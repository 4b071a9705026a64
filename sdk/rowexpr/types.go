package rowexpr

import (
	"fmt"
	"reflect"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

var (
	typeString   = reflect.TypeFor[string]()
	typeInt      = reflect.TypeFor[int]()
	typeFloat    = reflect.TypeFor[float64]()
	typeBool     = reflect.TypeFor[bool]()
	typeTime     = reflect.TypeFor[time.Time]()
	typeDuration = reflect.TypeFor[time.Duration]()
	typeList     = reflect.TypeFor[[]any]()
	typeMap      = reflect.TypeFor[map[string]any]()
)

// envValue returns the zero value whose Go type represents values of dt in
// expressions, for the type checker.
func envValue(dt arrow.DataType) (any, error) {
	switch dt.ID() {
	case arrow.STRING, arrow.LARGE_STRING, arrow.STRING_VIEW, arrow.BINARY, arrow.LARGE_BINARY, arrow.BINARY_VIEW, arrow.FIXED_SIZE_BINARY:
		return "", nil
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64:
		return 0, nil
	case arrow.FLOAT16, arrow.FLOAT32, arrow.FLOAT64, arrow.DECIMAL128, arrow.DECIMAL256:
		return 0.0, nil
	case arrow.BOOL:
		return false, nil
	case arrow.TIMESTAMP, arrow.DATE32, arrow.DATE64:
		return time.Time{}, nil
	case arrow.DURATION:
		return time.Duration(0), nil
	case arrow.LIST, arrow.LARGE_LIST, arrow.FIXED_SIZE_LIST:
		return []any{}, nil
	case arrow.STRUCT:
		return map[string]any{}, nil
	case arrow.DICTIONARY:
		return envValue(dt.(*arrow.DictionaryType).ValueType)
	case arrow.NULL:
		return nil, nil
	}
	return nil, fmt.Errorf("columns of type %s cannot be used in expressions", dt)
}

// arrowType returns the Arrow type that stores values of the Go type t, the
// type the checker inferred for an expression.
func arrowType(t reflect.Type) (arrow.DataType, bool) {
	switch t {
	case typeString:
		return arrow.BinaryTypes.String, true
	case typeInt:
		return arrow.PrimitiveTypes.Int64, true
	case typeFloat:
		return arrow.PrimitiveTypes.Float64, true
	case typeBool:
		return arrow.FixedWidthTypes.Boolean, true
	case typeTime:
		return &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, true
	case typeDuration:
		return &arrow.DurationType{Unit: arrow.Microsecond}, true
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return arrow.PrimitiveTypes.Int64, true
	case reflect.Float32, reflect.Float64:
		return arrow.PrimitiveTypes.Float64, true
	}
	return nil, false
}

// loader returns a function that reads row i of arr as an expression value:
// nil for null, otherwise a value of the type envValue gave arr's type.
func loader(arr arrow.Array) func(i int) any {
	switch a := arr.(type) {
	case *array.String:
		return func(i int) any {
			if a.IsNull(i) {
				return nil
			}
			return a.Value(i)
		}
	case *array.LargeString:
		return func(i int) any {
			if a.IsNull(i) {
				return nil
			}
			return a.Value(i)
		}
	case *array.StringView:
		return func(i int) any {
			if a.IsNull(i) {
				return nil
			}
			return a.Value(i)
		}
	case array.BinaryLike:
		return func(i int) any {
			if arr.IsNull(i) {
				return nil
			}
			return arr.ValueStr(i)
		}
	case *array.Int64:
		return intLoader(a, a.Value)
	case *array.Int32:
		return intLoader(a, a.Value)
	case *array.Int16:
		return intLoader(a, a.Value)
	case *array.Int8:
		return intLoader(a, a.Value)
	case *array.Uint64:
		return intLoader(a, a.Value)
	case *array.Uint32:
		return intLoader(a, a.Value)
	case *array.Uint16:
		return intLoader(a, a.Value)
	case *array.Uint8:
		return intLoader(a, a.Value)
	case *array.Float64:
		return func(i int) any {
			if a.IsNull(i) {
				return nil
			}
			return a.Value(i)
		}
	case *array.Float32:
		return func(i int) any {
			if a.IsNull(i) {
				return nil
			}
			return float64(a.Value(i))
		}
	case *array.Float16:
		return func(i int) any {
			if a.IsNull(i) {
				return nil
			}
			return float64(a.Value(i).Float32())
		}
	case *array.Decimal128:
		scale := a.DataType().(*arrow.Decimal128Type).Scale
		return func(i int) any {
			if a.IsNull(i) {
				return nil
			}
			return a.Value(i).ToFloat64(scale)
		}
	case *array.Decimal256:
		scale := a.DataType().(*arrow.Decimal256Type).Scale
		return func(i int) any {
			if a.IsNull(i) {
				return nil
			}
			return a.Value(i).ToFloat64(scale)
		}
	case *array.Boolean:
		return func(i int) any {
			if a.IsNull(i) {
				return nil
			}
			return a.Value(i)
		}
	case *array.Timestamp:
		unit := a.DataType().(*arrow.TimestampType).Unit
		return func(i int) any {
			if a.IsNull(i) {
				return nil
			}
			return a.Value(i).ToTime(unit)
		}
	case *array.Date32:
		return func(i int) any {
			if a.IsNull(i) {
				return nil
			}
			return a.Value(i).ToTime()
		}
	case *array.Date64:
		return func(i int) any {
			if a.IsNull(i) {
				return nil
			}
			return a.Value(i).ToTime()
		}
	case *array.Duration:
		mult := a.DataType().(*arrow.DurationType).Unit.Multiplier()
		return func(i int) any {
			if a.IsNull(i) {
				return nil
			}
			return time.Duration(int64(a.Value(i)) * int64(mult))
		}
	case *array.Dictionary:
		values := loader(a.Dictionary())
		return func(i int) any {
			if a.IsNull(i) {
				return nil
			}
			return values(a.GetValueIndex(i))
		}
	case array.ListLike:
		values := loader(a.ListValues())
		return func(i int) any {
			if a.IsNull(i) {
				return nil
			}
			start, end := a.ValueOffsets(i)
			out := make([]any, 0, end-start)
			for j := start; j < end; j++ {
				out = append(out, values(int(j)))
			}
			return out
		}
	case *array.Struct:
		st := a.DataType().(*arrow.StructType)
		fields := make([]func(int) any, a.NumField())
		for f := range fields {
			fields[f] = loader(a.Field(f))
		}
		return func(i int) any {
			if a.IsNull(i) {
				return nil
			}
			m := make(map[string]any, len(fields))
			for f, load := range fields {
				m[st.Field(f).Name] = load(i)
			}
			return m
		}
	}
	return func(int) any { return nil }
}

type integer interface {
	~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32 | ~uint64
}

func intLoader[T integer](a arrow.Array, value func(int) T) func(int) any {
	return func(i int) any {
		if a.IsNull(i) {
			return nil
		}
		return int(value(i))
	}
}
