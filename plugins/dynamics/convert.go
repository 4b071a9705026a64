package dynamics

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/sluicedata/sluice/plugins/dynamics/internal/guid"
	"github.com/sluicedata/sluice/plugins/internal/textconv"
	"github.com/sluicedata/sluice/plugins/internal/valfmt"
)

// A converter turns an expression's value for one row into the JSON value
// its column takes, appended to dst. A value that does not fit — too long, an
// unknown option label, a malformed date — is a *valueError that rejects the
// row, not the batch. nil is null.
type converter func(dst []byte, v any) ([]byte, error)

// valueError is a value its column cannot take.
type valueError struct {
	code string
	msg  string
}

func (e *valueError) Error() string { return e.msg }

// Row error codes the sink reports for values it refuses before sending.
const (
	codeValue       = "dynamics.value"       // a value its column cannot take
	codeOption      = "dynamics.option"      // an unknown option label or value
	codeKey         = "dynamics.key"         // a key value that is null or invalid
	codeLookup      = "dynamics.lookup"      // a lookup that finds no record
	codeMissing     = "dynamics.missing"     // update or delete of a record that does not exist
	codeUnknown     = "dynamics.unknown"     // a write whose outcome could not be learnt
	codeRetryBudget = "dynamics.gave_up"     // transient failures outlasted the retry budget
	codeThrottled   = "dynamics.throttled"   // throttling outlasted retry_timeout
	codeDuplicate   = "dynamics.duplicate"   // a create whose record exists
	codeMaxRecords  = "dynamics.max_records" // beyond max_records
	codeUnsupported = "dynamics.unsupported" // a value of a type the sink cannot write
)

func valueErrorf(code, format string, args ...any) *valueError {
	return &valueError{code: code, msg: fmt.Sprintf(format, args...)}
}

// converterFor returns the converter of column c, or nil when the sink cannot
// write columns of its type.
func converterFor(c *column) converter {
	name := c.LogicalName
	switch {
	case c.Type == typeString || c.Type == typeMemo:
		return func(dst []byte, v any) ([]byte, error) {
			s, ok := v.(string)
			if !ok {
				return dst, mismatch(name, "text", v)
			}
			if c.MaxLength > 0 {
				if n := utf16Len(s); n > c.MaxLength {
					return dst, valueErrorf(codeValue, "%s: the value is %d characters long; the column holds at most %d", name, n, c.MaxLength)
				}
			}
			return valfmt.AppendJSONString(dst, s), nil
		}
	case c.Type == typeInteger || c.Type == typeBigInt:
		lo, hi := float64(math.MinInt32), float64(math.MaxInt32)
		if c.Type == typeBigInt {
			lo, hi = math.MinInt64, math.MaxInt64
		}
		if c.MinValue != nil {
			lo = math.Max(lo, *c.MinValue)
		}
		if c.MaxValue != nil {
			hi = math.Min(hi, *c.MaxValue)
		}
		return func(dst []byte, v any) ([]byte, error) {
			i, ok := asWhole(v)
			if !ok {
				return dst, mismatch(name, "a whole number", v)
			}
			if float64(i) < lo || float64(i) > hi {
				return dst, valueErrorf(codeValue, "%s: %d is outside the column's range %s to %s", name, i, fmtNum(lo), fmtNum(hi))
			}
			return strconv.AppendInt(dst, i, 10), nil
		}
	case c.Type == typeDecimal || c.Type == typeDouble || c.Type == typeMoney:
		lo, hi := math.Inf(-1), math.Inf(1)
		if c.MinValue != nil {
			lo = *c.MinValue
		}
		if c.MaxValue != nil {
			hi = *c.MaxValue
		}
		return func(dst []byte, v any) ([]byte, error) {
			f, ok := asFloat(v)
			if !ok {
				return dst, mismatch(name, "a number", v)
			}
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return dst, valueErrorf(codeValue, "%s: %v is not a number Dataverse can store", name, f)
			}
			if f < lo || f > hi {
				return dst, valueErrorf(codeValue, "%s: %s is outside the column's range %s to %s", name, fmtNum(f), fmtNum(lo), fmtNum(hi))
			}
			return strconv.AppendFloat(dst, f, 'f', -1, 64), nil
		}
	case c.Type == typeBoolean:
		return func(dst []byte, v any) ([]byte, error) {
			b, ok := v.(bool)
			if !ok {
				return dst, mismatch(name, "true or false", v)
			}
			return strconv.AppendBool(dst, b), nil
		}
	case c.Type == typeDateTime:
		return func(dst []byte, v any) ([]byte, error) {
			var t time.Time
			switch x := v.(type) {
			case time.Time:
				t = x
			case string:
				micros, ok := textconv.ParseTimestamp([]byte(strings.TrimSpace(x)))
				if !ok {
					return dst, valueErrorf(codeValue, "%s: %q is not a date (2024-05-01) or a timestamp with a zone (2024-05-01T12:30:00Z)", name, x)
				}
				t = time.UnixMicro(micros)
			default:
				return dst, mismatch(name, "a date or time", v)
			}
			t = t.UTC()
			if t.Year() < 1753 || t.Year() > 9999 {
				return dst, valueErrorf(codeValue, "%s: %s is outside the years Dataverse stores (1753 to 9999)", name, t.Format(time.RFC3339))
			}
			dst = append(dst, '"')
			if c.DateOnly {
				dst = t.AppendFormat(dst, time.DateOnly)
			} else {
				dst = t.AppendFormat(dst, "2006-01-02T15:04:05Z")
			}
			return append(dst, '"'), nil
		}
	case c.isMultiSelect():
		return func(dst []byte, v any) ([]byte, error) {
			var items []any
			switch x := v.(type) {
			case []any:
				items = x
			case string:
				for _, part := range strings.FieldsFunc(x, func(r rune) bool { return r == ',' || r == ';' }) {
					if p := strings.TrimSpace(part); p != "" {
						items = append(items, p)
					}
				}
			default:
				return dst, mismatch(name, "a list of choices", v)
			}
			if len(items) == 0 {
				return append(dst, "null"...), nil
			}
			dst = append(dst, '"')
			seen := map[int]bool{}
			n := 0
			for _, it := range items {
				val, err := optionValue(c, it)
				if err != nil {
					return dst, err
				}
				if seen[val] {
					continue
				}
				seen[val] = true
				if n > 0 {
					dst = append(dst, ',')
				}
				dst = strconv.AppendInt(dst, int64(val), 10)
				n++
			}
			return append(dst, '"'), nil
		}
	case c.hasOptions():
		return func(dst []byte, v any) ([]byte, error) {
			val, err := optionValue(c, v)
			if err != nil {
				return dst, err
			}
			return strconv.AppendInt(dst, int64(val), 10), nil
		}
	case c.Type == typeUniqueID:
		return func(dst []byte, v any) ([]byte, error) {
			s, ok := v.(string)
			if !ok {
				return dst, mismatch(name, "a GUID", v)
			}
			g, ok := parseGUID(s)
			if !ok {
				return dst, valueErrorf(codeValue, "%s: %q is not a GUID", name, s)
			}
			return valfmt.AppendJSONString(dst, g), nil
		}
	}
	return nil
}

// optionValue finds the value of a choice given as a label or a number.
func optionValue(c *column, v any) (int, error) {
	switch x := v.(type) {
	case string:
		label := strings.TrimSpace(x)
		if label == "" {
			return 0, valueErrorf(codeOption, "%s: an empty label is not an option", c.LogicalName)
		}
		var folded *option
		for i := range c.Options {
			o := &c.Options[i]
			for _, l := range o.Labels {
				if l == label {
					return o.Value, nil
				}
				if folded == nil && strings.EqualFold(l, label) {
					folded = o
				}
			}
		}
		if folded != nil {
			return folded.Value, nil
		}
		if i, err := strconv.Atoi(label); err == nil {
			return optionValue(c, i)
		}
		return 0, valueErrorf(codeOption, "%s: %q is not one of its options (%s)", c.LogicalName, label, describeOptions(c))
	default:
		i, ok := asWhole(v)
		if !ok {
			return 0, mismatch(c.LogicalName, "an option label or value", v)
		}
		for _, o := range c.Options {
			if int64(o.Value) == i {
				return o.Value, nil
			}
		}
		return 0, valueErrorf(codeOption, "%s: %d is not one of its option values (%s)", c.LogicalName, i, describeOptions(c))
	}
}

// describeOptions lists a column's options for messages: "1 Any, 2 Email, …".
func describeOptions(c *column) string {
	var parts []string
	for i, o := range c.Options {
		if i == 12 {
			parts = append(parts, fmt.Sprintf("and %d more", len(c.Options)-i))
			break
		}
		parts = append(parts, fmt.Sprintf("%d %s", o.Value, first(o.Labels)))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func mismatch(col, want string, v any) *valueError {
	return valueErrorf(codeValue, "%s: expected %s, got %s", col, want, describeValue(v))
}

func describeValue(v any) string {
	switch x := v.(type) {
	case string:
		if len(x) > 40 {
			x = x[:40] + "…"
		}
		return fmt.Sprintf("text %q", x)
	case nil:
		return "null"
	}
	return fmt.Sprintf("%v (%T)", v, v)
}

func asWhole(v any) (int64, bool) {
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
		return int64(x), x <= math.MaxInt64
	case uint64:
		return int64(x), x <= math.MaxInt64
	case uint32:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint8:
		return int64(x), true
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int64(x), true
		}
	case float32:
		return asWhole(float64(x))
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
	if i, ok := asWhole(v); ok {
		return float64(i), true
	}
	return 0, false
}

func fmtNum(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// parseGUID reads a GUID as Dataverse does, around spaces.
func parseGUID(s string) (string, bool) { return guid.Parse(strings.TrimSpace(s)) }

// Go types of expression values, for the checks at Open.
var (
	goString = reflect.TypeFor[string]()
	goInt    = reflect.TypeFor[int]()
	goFloat  = reflect.TypeFor[float64]()
	goBool   = reflect.TypeFor[bool]()
	goTime   = reflect.TypeFor[time.Time]()
	goList   = reflect.TypeFor[[]any]()
)

// accepts reports whether values of the Go type t can be written to column c,
// and if not, how to convert them. An interface type (the checker could not
// tell) is accepted: each value is then checked as it comes.
func accepts(c *column, t reflect.Type) (bool, string) {
	if t == nil || t.Kind() == reflect.Interface {
		return true, ""
	}
	switch {
	case c.Type == typeString || c.Type == typeMemo || c.Type == typeUniqueID:
		return t == goString, "convert it with string(…)"
	case c.Type == typeInteger || c.Type == typeBigInt:
		return t == goInt, "convert it with int(…)"
	case c.Type == typeDecimal || c.Type == typeDouble || c.Type == typeMoney:
		return t == goInt || t == goFloat, "convert it with float(…)"
	case c.Type == typeBoolean:
		return t == goBool, "compare it to get true or false, such as x == 'yes'"
	case c.Type == typeDateTime:
		return t == goTime || t == goString, "give a time or an RFC 3339 text such as 2024-05-01T12:30:00Z"
	case c.isMultiSelect():
		return t == goList || t == goString, "give a list of labels or values, such as ['Email', 'Phone'], or a text 'Email;Phone'"
	case c.hasOptions():
		return t == goString || t == goInt, "give an option label such as 'Email' or its value"
	}
	return false, ""
}

// goTypeName names an expression's type for messages.
func goTypeName(t reflect.Type) string {
	switch t {
	case goString:
		return "text"
	case goInt:
		return "a whole number"
	case goFloat:
		return "a number"
	case goBool:
		return "true/false"
	case goTime:
		return "a time"
	case goList:
		return "a list"
	}
	if t == nil {
		return "unknown"
	}
	return t.String()
}
