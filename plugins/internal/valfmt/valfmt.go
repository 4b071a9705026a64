// Package valfmt formats the values of Arrow arrays as JSON and as plain
// text, for the jsonl, csv and stdout sinks.
//
// A formatter is built once per column and batch, after a type switch, and
// then appends one value at a time to a caller's buffer: no per-row maps,
// interfaces or allocations. That is what makes the jsonl sink several times
// faster than arrow's RecordToJSON, which builds a map per row. The output is
// deterministic: timestamps in RFC 3339 in UTC, floats in their shortest
// form that reads back exactly (NaN and infinities, which JSON cannot hold,
// as null), strings escaped as JSON requires.
package valfmt

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/float16"

	"github.com/sluicedata/sluice/plugins/internal/textconv"
)

// Func appends the value at row i. JSON formatters append null for nulls;
// text formatters must not be called for nulls.
type Func func(b []byte, i int) []byte

// JSON returns a formatter of arr's values as JSON.
func JSON(arr arrow.Array) (Func, error) {
	f, err := jsonValue(arr)
	if err != nil {
		return nil, err
	}
	if arr.NullN() == 0 {
		return f, nil
	}
	return func(b []byte, i int) []byte {
		if arr.IsNull(i) {
			return append(b, "null"...)
		}
		return f(b, i)
	}, nil
}

// Text returns a formatter of arr's non-null values as plain text: strings
// as they are, numbers and times as in JSON, nested values as JSON.
func Text(arr arrow.Array) (Func, error) {
	switch a := arr.(type) {
	case *array.String:
		return func(b []byte, i int) []byte { return append(b, a.Value(i)...) }, nil
	case *array.LargeString:
		return func(b []byte, i int) []byte { return append(b, a.Value(i)...) }, nil
	case *array.StringView:
		return func(b []byte, i int) []byte { return append(b, a.Value(i)...) }, nil
	case *array.Float16, *array.Float32, *array.Float64:
		// NaN and infinities are text, not null.
		get := floatGetter(arr)
		bits := 64
		if _, ok := arr.(*array.Float64); !ok {
			bits = 32
		}
		return func(b []byte, i int) []byte {
			f := get(i)
			switch {
			case math.IsNaN(f):
				return append(b, "NaN"...)
			case math.IsInf(f, 1):
				return append(b, "Inf"...)
			case math.IsInf(f, -1):
				return append(b, "-Inf"...)
			}
			return AppendFloat(b, f, bits)
		}, nil
	case *array.Dictionary:
		inner, err := Text(a.Dictionary())
		if err != nil {
			return nil, err
		}
		return func(b []byte, i int) []byte { return inner(b, a.GetValueIndex(i)) }, nil
	}
	f, err := jsonValue(arr)
	if err != nil {
		return nil, err
	}
	switch arr.DataType().ID() {
	case arrow.TIMESTAMP, arrow.DATE32, arrow.DATE64, arrow.TIME32, arrow.TIME64, arrow.DECIMAL128, arrow.DECIMAL256, arrow.BINARY, arrow.LARGE_BINARY:
		// These are JSON strings or numbers whose text needs no quotes.
		return func(b []byte, i int) []byte {
			start := len(b)
			b = f(b, i)
			if len(b) > start && b[start] == '"' {
				copy(b[start:], b[start+1:len(b)-1])
				b = b[:len(b)-2]
			}
			return b
		}, nil
	}
	return f, nil
}

// jsonValue formats non-null values.
func jsonValue(arr arrow.Array) (Func, error) {
	switch a := arr.(type) {
	case *array.Null:
		return func(b []byte, _ int) []byte { return append(b, "null"...) }, nil
	case *array.Boolean:
		return func(b []byte, i int) []byte { return strconv.AppendBool(b, a.Value(i)) }, nil
	case *array.String:
		offs, data := a.ValueOffsets(), a.ValueBytes()
		base := offs[0]
		if plainJSONText(data) {
			// Nothing to escape in the whole column: copy each value.
			return func(b []byte, i int) []byte {
				b = append(b, '"')
				b = append(b, data[offs[i]-base:offs[i+1]-base]...)
				return append(b, '"')
			}, nil
		}
		return func(b []byte, i int) []byte { return AppendJSONString(b, a.Value(i)) }, nil
	case *array.LargeString:
		return func(b []byte, i int) []byte { return AppendJSONString(b, a.Value(i)) }, nil
	case *array.StringView:
		return func(b []byte, i int) []byte { return AppendJSONString(b, a.Value(i)) }, nil
	case *array.Binary:
		return func(b []byte, i int) []byte { return appendBase64(b, a.Value(i)) }, nil
	case *array.LargeBinary:
		return func(b []byte, i int) []byte { return appendBase64(b, a.Value(i)) }, nil
	case *array.Int8:
		return func(b []byte, i int) []byte { return strconv.AppendInt(b, int64(a.Value(i)), 10) }, nil
	case *array.Int16:
		return func(b []byte, i int) []byte { return strconv.AppendInt(b, int64(a.Value(i)), 10) }, nil
	case *array.Int32:
		return func(b []byte, i int) []byte { return strconv.AppendInt(b, int64(a.Value(i)), 10) }, nil
	case *array.Int64:
		vs := a.Int64Values()
		return func(b []byte, i int) []byte { return strconv.AppendInt(b, vs[i], 10) }, nil
	case *array.Uint8:
		return func(b []byte, i int) []byte { return strconv.AppendUint(b, uint64(a.Value(i)), 10) }, nil
	case *array.Uint16:
		return func(b []byte, i int) []byte { return strconv.AppendUint(b, uint64(a.Value(i)), 10) }, nil
	case *array.Uint32:
		return func(b []byte, i int) []byte { return strconv.AppendUint(b, uint64(a.Value(i)), 10) }, nil
	case *array.Uint64:
		return func(b []byte, i int) []byte { return strconv.AppendUint(b, a.Value(i), 10) }, nil
	case *array.Float16, *array.Float32, *array.Float64:
		get := floatGetter(arr)
		bits := 64
		if _, ok := arr.(*array.Float64); !ok {
			bits = 32
		}
		return func(b []byte, i int) []byte {
			f := get(i)
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return append(b, "null"...)
			}
			return AppendFloat(b, f, bits)
		}, nil
	case *array.Decimal128:
		scale := a.DataType().(*arrow.Decimal128Type).Scale
		return func(b []byte, i int) []byte { return append(b, a.Value(i).ToString(scale)...) }, nil
	case *array.Decimal256:
		scale := a.DataType().(*arrow.Decimal256Type).Scale
		return func(b []byte, i int) []byte { return append(b, a.Value(i).ToString(scale)...) }, nil
	case *array.Timestamp:
		perSecond := unitsPerSecond(a.DataType().(*arrow.TimestampType).Unit)
		vs := a.TimestampValues()
		return func(b []byte, i int) []byte {
			b = append(b, '"')
			b = textconv.AppendTimestamp(b, int64(vs[i]), perSecond)
			return append(b, '"')
		}, nil
	case *array.Date32:
		return func(b []byte, i int) []byte {
			b = append(b, '"')
			b = textconv.AppendDate(b, int64(a.Value(i)))
			return append(b, '"')
		}, nil
	case *array.Date64:
		return func(b []byte, i int) []byte {
			b = append(b, '"')
			b = textconv.AppendDate(b, floorDiv(int64(a.Value(i)), 86400000))
			return append(b, '"')
		}, nil
	case *array.Time32:
		unit := a.DataType().(*arrow.Time32Type).Unit
		return func(b []byte, i int) []byte { return appendTimeOfDay(b, int64(a.Value(i)), unit) }, nil
	case *array.Time64:
		unit := a.DataType().(*arrow.Time64Type).Unit
		return func(b []byte, i int) []byte { return appendTimeOfDay(b, int64(a.Value(i)), unit) }, nil
	case *array.Duration:
		return func(b []byte, i int) []byte { return strconv.AppendInt(b, int64(a.Value(i)), 10) }, nil
	case *array.List:
		return listFormatter(a, a.ListValues(), a.ValueOffsets)
	case *array.LargeList:
		return listFormatter(a, a.ListValues(), a.ValueOffsets)
	case *array.FixedSizeList:
		return listFormatter(a, a.ListValues(), a.ValueOffsets)
	case *array.Struct:
		return structFormatter(a)
	case *array.Map:
		return mapFormatter(a)
	case *array.Dictionary:
		inner, err := JSON(a.Dictionary())
		if err != nil {
			return nil, err
		}
		return func(b []byte, i int) []byte { return inner(b, a.GetValueIndex(i)) }, nil
	}
	return nil, fmt.Errorf("cannot format values of type %s", arr.DataType())
}

func listFormatter[O int32 | int64](arr arrow.Array, values arrow.Array, offsets func(int) (O, O)) (Func, error) {
	elem, err := JSON(values)
	if err != nil {
		return nil, err
	}
	_ = arr
	return func(b []byte, i int) []byte {
		start, end := offsets(i)
		b = append(b, '[')
		for j := start; j < end; j++ {
			if j > start {
				b = append(b, ',')
			}
			b = elem(b, int(j))
		}
		return append(b, ']')
	}, nil
}

func structFormatter(a *array.Struct) (Func, error) {
	st := a.DataType().(*arrow.StructType)
	keys := make([][]byte, st.NumFields())
	fields := make([]Func, st.NumFields())
	for k, f := range st.Fields() {
		keys[k] = append(AppendJSONString(nil, f.Name), ':')
		var err error
		if fields[k], err = JSON(a.Field(k)); err != nil {
			return nil, fmt.Errorf("field %q: %w", f.Name, err)
		}
	}
	return func(b []byte, i int) []byte {
		b = append(b, '{')
		for k, f := range fields {
			if k > 0 {
				b = append(b, ',')
			}
			b = append(b, keys[k]...)
			b = f(b, i)
		}
		return append(b, '}')
	}, nil
}

// mapFormatter writes a map as a JSON object, with keys as text.
func mapFormatter(a *array.Map) (Func, error) {
	keys, err := Text(a.Keys())
	if err != nil {
		return nil, err
	}
	items, err := JSON(a.Items())
	if err != nil {
		return nil, err
	}
	var key []byte
	return func(b []byte, i int) []byte {
		start, end := a.ValueOffsets(i)
		b = append(b, '{')
		for j := start; j < end; j++ {
			if j > start {
				b = append(b, ',')
			}
			key = keys(key[:0], int(j))
			b = AppendJSONString(b, string(key))
			b = append(b, ':')
			b = items(b, int(j))
		}
		return append(b, '}')
	}, nil
}

func floatGetter(arr arrow.Array) func(int) float64 {
	switch a := arr.(type) {
	case *array.Float64:
		vs := a.Float64Values()
		return func(i int) float64 { return vs[i] }
	case *array.Float32:
		return func(i int) float64 { return float64(a.Value(i)) }
	case *array.Float16:
		return func(i int) float64 { return float64(float16.Num.Float32(a.Value(i))) }
	}
	panic("not a float array")
}

// AppendFloat appends f as JavaScript and encoding/json do: the shortest
// decimal that reads back as f, in exponent form only for very large or
// small magnitudes.
func AppendFloat(b []byte, f float64, bits int) []byte {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21)) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, bits)
	if format == 'e' {
		// clean up e-09 to e-9
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

func unitsPerSecond(u arrow.TimeUnit) int64 {
	switch u {
	case arrow.Second:
		return 1
	case arrow.Millisecond:
		return 1e3
	case arrow.Microsecond:
		return 1e6
	}
	return 1e9
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func appendTimeOfDay(b []byte, v int64, unit arrow.TimeUnit) []byte {
	per := unitsPerSecond(unit)
	secs, sub := v/per, v%per
	b = append(b, '"')
	b = append(b, byte('0'+secs/36000), byte('0'+secs/3600%10), ':', byte('0'+secs/600%6), byte('0'+secs/60%10), ':', byte('0'+secs%60/10), byte('0'+secs%10))
	if sub != 0 {
		frac := strconv.AppendInt(nil, sub+per, 10)[1:] // leading zeros kept
		for len(frac) > 0 && frac[len(frac)-1] == '0' {
			frac = frac[:len(frac)-1]
		}
		b = append(b, '.')
		b = append(b, frac...)
	}
	return append(b, '"')
}

func appendBase64(b []byte, v []byte) []byte {
	b = append(b, '"')
	b = base64.StdEncoding.AppendEncode(b, v)
	return append(b, '"')
}

// safe[c] is true for ASCII bytes that go into a JSON string as they are.
var safe = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

const hex = "0123456789abcdef"

// AppendJSONString appends s as a JSON string, escaping what JSON requires
// (quotes, backslashes, control characters) and U+2028 and U+2029, which
// JavaScript does not allow in strings. Invalid UTF-8 becomes U+FFFD.
func AppendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		// Skip eight plain ASCII bytes at a time.
		for i+8 <= len(s) && !needsEscape(binary.LittleEndian.Uint64(unsafe.Slice(unsafe.StringData(s[i:]), 8))) {
			i += 8
		}
		if i >= len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if safe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

const (
	lows  = 0x0101010101010101
	highs = 0x8080808080808080
)

// needsEscape reports whether any of the eight bytes in w is not plain
// ASCII that a JSON string holds as it is: a control character, a quote, a
// backslash or the start of a multi-byte character.
func needsEscape(w uint64) bool {
	ctrl := (w - 0x20*lows) & ^w
	quote := w ^ ('"' * lows)
	quote = (quote - lows) & ^quote
	bslash := w ^ ('\\' * lows)
	bslash = (bslash - lows) & ^bslash
	return (w|ctrl|quote|bslash)&highs != 0
}

// plainJSONText reports whether text can go into JSON strings as it is:
// valid UTF-8 without control characters, quotes, backslashes, U+2028 or
// U+2029. Checking a whole column at once is much cheaper than checking
// value by value.
func plainJSONText(data []byte) bool {
	i := 0
	nonASCII := false
	for ; i+8 <= len(data); i += 8 {
		w := binary.LittleEndian.Uint64(data[i:])
		if needsEscape(w &^ highs) { // control, quote or backslash in the low seven bits
			if needsEscapeASCII(w) {
				return false
			}
		}
		nonASCII = nonASCII || w&highs != 0
	}
	for ; i < len(data); i++ {
		c := data[i]
		if c < 0x20 || c == '"' || c == '\\' {
			return false
		}
		nonASCII = nonASCII || c >= utf8.RuneSelf
	}
	if !nonASCII {
		return true
	}
	return utf8.Valid(data) && !bytes.Contains(data, lineSep) && !bytes.Contains(data, paraSep)
}

var (
	lineSep = []byte("\u2028")
	paraSep = []byte("\u2029")
)

// needsEscapeASCII reports whether any byte of w is an ASCII control
// character, quote or backslash; bytes of multi-byte characters are fine.
func needsEscapeASCII(w uint64) bool {
	for k := 0; k < 8; k++ {
		c := byte(w >> (8 * k))
		if c < 0x20 || c == '"' || c == '\\' {
			return true
		}
	}
	return false
}
