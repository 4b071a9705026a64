package emulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/sluicedata/sluice/plugins/dynamics/internal/guid"
	"github.com/sluicedata/sluice/plugins/internal/valfmt"
)

// Stored values use one Go type per column type: string (string, memo, multiselect, uniqueidentifier), int64
// (integer, bigint, picklist, state, status), float64 (decimal, double, money), bool, time.Time (UTC) and lookupRef.

// lookupRef is the stored value of a lookup column.
type lookupRef struct {
	Table string `json:"t"`
	ID    string `json:"id"`
}

// edmType is the OData type a column is exposed as.
func edmType(c *Column) string {
	switch c.Type {
	case TypeString, TypeMemo, TypeMultiSelect:
		return "Edm.String"
	case TypeInteger, TypePicklist, TypeState, TypeStatus:
		return "Edm.Int32"
	case TypeBigInt:
		return "Edm.Int64"
	case TypeDecimal, TypeMoney:
		return "Edm.Decimal"
	case TypeDouble:
		return "Edm.Double"
	case TypeBoolean:
		return "Edm.Boolean"
	case TypeDateTime:
		if c.Format == "DateOnly" {
			return "Edm.Date"
		}
		return "Edm.DateTimeOffset"
	default:
		return "Edm.Guid"
	}
}

// convertInput turns a JSON value from a request body into the stored value for column c. raw comes from a decoder
// with UseNumber. A nil result with no error means null.
func convertInput(t *Table, c *Column, raw any) (any, *apiError) {
	if raw == nil {
		return nil, nil
	}
	bad := func() (any, *apiError) { return nil, errLiteralType(t.EntitySetName, literalText(raw), edmType(c)) }
	switch c.Type {
	case TypeString, TypeMemo:
		s, ok := raw.(string)
		if !ok {
			return bad()
		}
		if c.MaxLength > 0 && utf16Len(s) > c.MaxLength {
			return nil, errStringTooLong(c.LogicalName, t.LogicalName, c.MaxLength)
		}
		return s, nil
	case TypeUniqueID:
		s, ok := raw.(string)
		if !ok {
			return bad()
		}
		g, ok := guid.Parse(s)
		if !ok {
			return bad()
		}
		return g, nil
	case TypeInteger, TypeBigInt, TypePicklist, TypeState, TypeStatus:
		n, ok := raw.(json.Number)
		if !ok {
			if s, isStr := raw.(string); isStr && c.Type == TypeBigInt {
				n, ok = json.Number(s), true
			}
		}
		if !ok {
			return bad()
		}
		i, err := strconv.ParseInt(string(n), 10, 64)
		if err != nil {
			return bad()
		}
		if c.Type.hasOptions() {
			if _, found := c.option(int(i)); !found {
				return nil, errOutOfRange(i, c.LogicalName, t.LogicalName, c.acceptedValues())
			}
			return i, nil
		}
		if c.Type == TypeInteger && (i < math.MinInt32 || i > math.MaxInt32) {
			return bad()
		}
		if float64(i) < c.MinValue || float64(i) > c.MaxValue {
			return nil, errRange(i, c, t)
		}
		return i, nil
	case TypeDecimal, TypeDouble, TypeMoney:
		var text string
		switch v := raw.(type) {
		case json.Number:
			text = string(v)
		case string:
			if c.Type == TypeDouble {
				return bad()
			}
			text = v
		default:
			return bad()
		}
		f, err := strconv.ParseFloat(text, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return bad()
		}
		if f < c.MinValue || f > c.MaxValue {
			return nil, errRange(text, c, t)
		}
		return roundTo(f, storedPrecision(c)), nil
	case TypeBoolean:
		b, ok := raw.(bool)
		if !ok {
			return bad()
		}
		return b, nil
	case TypeDateTime:
		s, ok := raw.(string)
		if !ok {
			return bad()
		}
		tm, ok := parseDateTime(s)
		if !ok {
			return bad()
		}
		if c.Format == "DateOnly" {
			tm = time.Date(tm.Year(), tm.Month(), tm.Day(), 0, 0, 0, 0, time.UTC)
		}
		return tm, nil
	case TypeMultiSelect:
		s, ok := raw.(string)
		if !ok {
			return bad()
		}
		var vals []string
		for _, part := range strings.Split(s, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			i, err := strconv.Atoi(part)
			if err != nil {
				return bad()
			}
			if _, found := c.option(i); !found {
				return nil, errOutOfRange(i, c.LogicalName, t.LogicalName, c.acceptedValues())
			}
			vals = append(vals, strconv.Itoa(i))
		}
		if len(vals) == 0 {
			return nil, nil
		}
		return strings.Join(vals, ","), nil
	}
	return bad()
}

func errRange(v any, c *Column, t *Table) *apiError {
	return errOutOfRange(v, c.LogicalName, t.LogicalName, fmt.Sprintf("%s to %s", formatNumber(c.MinValue), formatNumber(c.MaxValue)))
}

func formatNumber(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func storedPrecision(c *Column) int {
	switch c.Type {
	case TypeMoney:
		return 4
	case TypeDecimal:
		return c.Precision
	}
	return 10
}

func roundTo(f float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	r := math.Round(f*p) / p
	if math.IsInf(r, 0) || math.IsNaN(r) {
		return f
	}
	return r
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

func literalText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return string(x)
	case bool:
		return strconv.FormatBool(x)
	case map[string]any:
		return "{...}"
	case []any:
		return "[...]"
	}
	return fmt.Sprint(v)
}

var dateTimeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"}

func parseDateTime(s string) (time.Time, bool) {
	for _, layout := range dateTimeLayouts {
		if tm, err := time.Parse(layout, s); err == nil {
			return tm.UTC(), true
		}
	}
	return time.Time{}, false
}

// appendValue appends the JSON form of a stored value of column c.
func appendValue(b []byte, c *Column, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...)
	case string:
		return valfmt.AppendJSONString(b, x)
	case int64:
		return strconv.AppendInt(b, x, 10)
	case float64:
		switch c.Type {
		case TypeMoney:
			return strconv.AppendFloat(b, x, 'f', 4, 64)
		case TypeDecimal:
			return strconv.AppendFloat(b, x, 'f', c.Precision, 64)
		}
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			return strconv.AppendFloat(b, x, 'f', 1, 64)
		}
		return strconv.AppendFloat(b, x, 'g', -1, 64)
	case bool:
		return strconv.AppendBool(b, x)
	case time.Time:
		if c.Format == "DateOnly" {
			return valfmt.AppendJSONString(b, x.Format("2006-01-02"))
		}
		return valfmt.AppendJSONString(b, x.UTC().Truncate(time.Second).Format("2006-01-02T15:04:05Z"))
	case lookupRef:
		return valfmt.AppendJSONString(b, x.ID)
	}
	return append(b, "null"...)
}

// jsonValue returns the value as plain JSON-ready Go data (for inspection and persistence).
func jsonValue(c *Column, v any) any {
	b := appendValue(nil, c, v)
	// Fast paths for the common shapes; a json.Decoder per value made reading a large table back take seconds.
	switch {
	case len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' && !bytes.ContainsAny(b[1:len(b)-1], "\\\""):
		return string(b[1 : len(b)-1])
	case string(b) == "true":
		return true
	case string(b) == "false":
		return false
	case string(b) == "null":
		return nil
	case len(b) > 0 && (b[0] == '-' || b[0] >= '0' && b[0] <= '9'):
		if _, err := strconv.ParseFloat(string(b), 64); err == nil {
			return json.Number(b)
		}
	}
	var out any
	d := json.NewDecoder(strings.NewReader(string(b)))
	d.UseNumber()
	_ = d.Decode(&out)
	return out
}

// formattedValue is the OData.Community.Display.V1.FormattedValue of a stored value ("" when there is none).
func formattedValue(c *Column, v any, primaryName func(lookupRef) string) string {
	switch x := v.(type) {
	case nil:
		return ""
	case int64:
		if c.Type.hasOptions() {
			if o, ok := c.option(int(x)); ok {
				return o.Label
			}
			return ""
		}
		return groupThousands(strconv.FormatInt(x, 10))
	case string:
		if c.Type == TypeMultiSelect {
			var labels []string
			for _, part := range strings.Split(x, ",") {
				i, _ := strconv.Atoi(part)
				if o, ok := c.option(i); ok {
					labels = append(labels, o.Label)
				}
			}
			return strings.Join(labels, "; ")
		}
		return ""
	case float64:
		prec := c.Precision
		s := strconv.FormatFloat(math.Abs(x), 'f', prec, 64)
		intPart, frac, _ := strings.Cut(s, ".")
		out := groupThousands(intPart)
		if frac != "" {
			out += "." + frac
		}
		if c.Type == TypeMoney {
			out = "$" + out
		}
		if x < 0 {
			out = "-" + out
		}
		return out
	case bool:
		if x {
			return c.TrueLabel
		}
		return c.FalseLabel
	case time.Time:
		if c.Format == "DateOnly" {
			return x.Format("1/2/2006")
		}
		return x.UTC().Format("1/2/2006 3:04 PM")
	case lookupRef:
		if primaryName != nil {
			return primaryName(x)
		}
	}
	return ""
}

func groupThousands(s string) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }
