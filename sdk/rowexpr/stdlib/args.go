package stdlib

import (
	"fmt"
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// This file holds the argument checking shared by every implementation.
//
// expr's checker already rejects wrong argument types at compile time when the
// environment is typed, but at run time a typed column can still hold nil (a
// SQL NULL), an untyped value (from fromJSON or a list) can be anything, and Go
// code may call Fn directly. So every Fn checks its arguments with these
// helpers, which use type switches rather than reflection and only allocate
// on the error path. Every error names the function and the argument, because
// the message is shown to pipeline users as the reason a row was rejected.

// errorf formats an error as "fn: message".
func errorf(fn, format string, args ...any) error {
	return fmt.Errorf(fn+": "+format, args...)
}

// errNull reports a nil argument where a value is required.
func errNull(fn, arg string) error {
	return fmt.Errorf("%s: %s is null", fn, arg)
}

// errType reports an argument of the wrong type.
func errType(fn, arg, want string, got any) error {
	return fmt.Errorf("%s: %s must be %s, got %s", fn, arg, want, typeName(got))
}

// checkArity verifies the argument count; expr's checker enforces it for
// compiled expressions, this guards direct calls of Fn.
func checkArity(fn string, args []any, lo, hi int) error {
	if len(args) >= lo && (hi < 0 || len(args) <= hi) {
		return nil
	}
	switch {
	case hi < 0:
		return fmt.Errorf("%s: expected at least %d arguments, got %d", fn, lo, len(args))
	case lo == hi:
		return fmt.Errorf("%s: expected %d arguments, got %d", fn, lo, len(args))
	default:
		return fmt.Errorf("%s: expected %d to %d arguments, got %d", fn, lo, hi, len(args))
	}
}

func argString(fn, arg string, v any) (string, error) {
	switch s := v.(type) {
	case string:
		return s, nil
	case nil:
		return "", errNull(fn, arg)
	}
	return "", errType(fn, arg, "a string", v)
}

// argInt accepts every Go integer type; expr may hand any of them over when the
// environment is a struct rather than the Arrow-derived map.
func argInt(fn, arg string, v any) (int, error) {
	if n, ok := toInt(v); ok {
		return n, nil
	}
	if v == nil {
		return 0, errNull(fn, arg)
	}
	return 0, errType(fn, arg, "an integer", v)
}

func toInt(v any) (int, bool) {
	switch n := v.(type) {
	case int:
		return n, true
	case int64:
		return int(n), true
	case int32:
		return int(n), true
	case int16:
		return int(n), true
	case int8:
		return int(n), true
	case uint:
		return int(n), n <= math.MaxInt
	case uint64:
		return int(n), n <= math.MaxInt
	case uint32:
		return int(n), true
	case uint16:
		return int(n), true
	case uint8:
		return int(n), true
	}
	return 0, false
}

// argFloat accepts floats and integers: expr's checker lets an int-typed
// column through where a float64 parameter is declared (it only converts
// integer literals), so the integer arrives unchanged at run time.
func argFloat(fn, arg string, v any) (float64, error) {
	switch n := v.(type) {
	case float64:
		return n, nil
	case float32:
		return float64(n), nil
	case nil:
		return 0, errNull(fn, arg)
	}
	if n, ok := toInt(v); ok {
		return float64(n), nil
	}
	return 0, errType(fn, arg, "a number", v)
}

func argTime(fn, arg string, v any) (time.Time, error) {
	switch t := v.(type) {
	case time.Time:
		return t, nil
	case *time.Time:
		if t != nil {
			return *t, nil
		}
		return time.Time{}, errNull(fn, arg)
	case nil:
		return time.Time{}, errNull(fn, arg)
	}
	return time.Time{}, errType(fn, arg, "a time", v)
}

// typeName names a runtime value's type the way a pipeline author thinks of
// it, for error messages.
func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "bool"
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return "int"
	case float32, float64:
		return "float"
	case time.Time, *time.Time:
		return "time"
	case time.Duration:
		return "duration"
	case []any:
		return "list"
	case []byte:
		return "bytes"
	case map[string]any, map[any]any:
		return "map"
	}
	return fmt.Sprintf("%T", v)
}

// quote renders an input value for an error message, cut short so that a
// rejected row's reason stays readable.
func quote(s string) string {
	const max = 64
	if utf8.RuneCountInString(s) <= max {
		return strconv.Quote(s)
	}
	return strconv.Quote(leftRunes(s, max)) + "…"
}

// cache maps strings (regex patterns, layouts, time zone names) to values
// derived from them. Patterns and layouts are nearly always constants in an
// expression, so the cache is read on every row and written a handful of
// times: reads are a lock-free atomic load and a map lookup, writes copy the
// map. Once full it stops growing, so patterns built from data cannot make it
// grow without bound; such patterns are then rebuilt on every call.
type cache[V any] struct {
	mu  sync.Mutex
	m   atomic.Pointer[map[string]V]
	max int
}

func (c *cache[V]) get(key string, build func(string) V) V {
	if m := c.m.Load(); m != nil {
		if v, ok := (*m)[key]; ok {
			return v
		}
	}
	v := build(key)
	c.mu.Lock()
	defer c.mu.Unlock()
	var old map[string]V
	if p := c.m.Load(); p != nil {
		old = *p
	}
	if _, ok := old[key]; ok || len(old) >= c.max {
		return v
	}
	m := make(map[string]V, len(old)+1)
	for k, x := range old {
		m[k] = x
	}
	m[key] = v
	c.m.Store(&m)
	return v
}
