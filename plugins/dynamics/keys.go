package dynamics

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sluicedata/sluice/plugins/internal/textconv"
)

// keySpec says how rows address records: by the table's primary id, or by
// the columns of one of its alternate keys.
type keySpec struct {
	parts   []keyPart
	primary bool
	// entitySet is the table's, for @odata.id and request paths.
	entitySet string
}

// keyPart is one key column.
type keyPart struct {
	name string
	col  *column
	// prop is the name in key predicates and filters: the column, or
	// _<column>_value for a lookup.
	prop string
}

// rowKey is one row's key: its values in the column's types, the canonical
// form that says which rows address the same record, and whether its values
// may appear in a URL.
type rowKey struct {
	vals  []any // string, int64, float64, time.Time, or a GUID string
	canon string
	// urlSafe is false when a value holds a character Dataverse refuses in a
	// key segment of a URL (/ < > * % & : \ ? +): such rows are found by a
	// query and addressed by their id instead.
	urlSafe bool
}

// forbiddenKeyChars are the characters Dataverse does not support in a key
// value inside a URL, even percent-encoded.
const forbiddenKeyChars = "/<>*%&:\\?+#"

// build converts a row's key values. A null or malformed value is an error
// that rejects the row.
func (ks *keySpec) build(vals []any) (*rowKey, error) {
	rk := &rowKey{vals: make([]any, len(ks.parts)), urlSafe: true}
	var canon strings.Builder
	for i, p := range ks.parts {
		v := vals[i]
		if v == nil {
			return nil, valueErrorf(codeKey, "key column %s is null: every row needs a key to find its record", p.name)
		}
		kv, err := keyValue(p, v, ks.primary)
		if err != nil {
			return nil, err
		}
		rk.vals[i] = kv
		if i > 0 {
			canon.WriteByte(0)
		}
		switch x := kv.(type) {
		case string:
			// Dataverse compares keys as SQL Server's default collation does:
			// case-insensitive, trailing spaces ignored.
			canon.WriteString(strings.ToLower(strings.TrimRight(x, " ")))
			if strings.ContainsAny(x, forbiddenKeyChars) || hasControl(x) {
				rk.urlSafe = false
			}
		default:
			canon.WriteString(literal(kv))
		}
	}
	rk.canon = canon.String()
	return rk, nil
}

func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return true
		}
	}
	return false
}

// keyValue converts one key value to the type its column stores.
func keyValue(p keyPart, v any, primary bool) (any, error) {
	c := p.col
	guid := func() (any, error) {
		s, ok := v.(string)
		if !ok {
			return nil, valueErrorf(codeKey, "key column %s: expected a GUID, got %s", p.name, describeValue(v))
		}
		g, ok := parseGUID(s)
		if !ok {
			return nil, valueErrorf(codeKey, "key column %s: %q is not a GUID", p.name, s)
		}
		return g, nil
	}
	if primary || c == nil {
		if primary {
			return guid()
		}
		return v, nil
	}
	switch {
	case c.Type == typeString || c.Type == typeMemo:
		s, ok := v.(string)
		if !ok {
			return nil, valueErrorf(codeKey, "key column %s: expected text, got %s", p.name, describeValue(v))
		}
		if strings.TrimSpace(s) == "" {
			return nil, valueErrorf(codeKey, "key column %s is empty: every row needs a key to find its record", p.name)
		}
		if c.MaxLength > 0 && utf16Len(s) > c.MaxLength {
			return nil, valueErrorf(codeKey, "key column %s: the value is %d characters long; the column holds at most %d", p.name, utf16Len(s), c.MaxLength)
		}
		return s, nil
	case c.Type == typeInteger || c.Type == typeBigInt:
		i, ok := asWhole(v)
		if !ok {
			return nil, valueErrorf(codeKey, "key column %s: expected a whole number, got %s", p.name, describeValue(v))
		}
		return i, nil
	case c.hasOptions():
		val, err := optionValue(c, v)
		if err != nil {
			return nil, err
		}
		return int64(val), nil
	case c.Type == typeDecimal || c.Type == typeDouble || c.Type == typeMoney:
		f, ok := asFloat(v)
		if !ok {
			return nil, valueErrorf(codeKey, "key column %s: expected a number, got %s", p.name, describeValue(v))
		}
		return f, nil
	case c.Type == typeDateTime:
		switch x := v.(type) {
		case time.Time:
			return x.UTC(), nil
		case string:
			if micros, ok := textconv.ParseTimestamp([]byte(strings.TrimSpace(x))); ok {
				return time.UnixMicro(micros).UTC(), nil
			}
		}
		return nil, valueErrorf(codeKey, "key column %s: expected a date or time, got %s", p.name, describeValue(v))
	case c.isLookup() || c.Type == typeUniqueID:
		return guid()
	}
	return nil, valueErrorf(codeKey, "key column %s has type %s, which keys cannot use", p.name, c.Type)
}

// literal writes a key value as an OData literal: strings quoted with
// quotes doubled, the rest bare.
func literal(v any) string {
	switch x := v.(type) {
	case string:
		return "'" + strings.ReplaceAll(x, "'", "''") + "'"
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case time.Time:
		return x.UTC().Format("2006-01-02T15:04:05Z")
	}
	return fmt.Sprint(v)
}

// literalOf writes key value i: GUIDs of lookups and id columns bare, the
// rest as literal does.
func (ks *keySpec) literalOf(i int, v any) string {
	if c := ks.parts[i].col; ks.primary || c != nil && (c.isLookup() || c.Type == typeUniqueID) {
		if s, ok := v.(string); ok {
			return s
		}
	}
	return literal(v)
}

// predicate is the key in parentheses after the entity set: a GUID, or
// col='value',col2=2. escaped percent-encodes it for a URL path.
func (ks *keySpec) predicate(rk *rowKey, escaped bool) string {
	if ks.primary {
		return rk.vals[0].(string)
	}
	var b strings.Builder
	for i, p := range ks.parts {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(p.prop)
		b.WriteByte('=')
		lit := ks.literalOf(i, rk.vals[i])
		if escaped {
			lit = url.PathEscape(lit)
		}
		b.WriteString(lit)
	}
	return b.String()
}

// filter is an OData condition that holds for the record the key addresses.
func (ks *keySpec) filter(rk *rowKey, primaryID string) string {
	if ks.primary {
		return primaryID + " eq " + rk.vals[0].(string)
	}
	var b strings.Builder
	if len(ks.parts) > 1 {
		b.WriteByte('(')
	}
	for i, p := range ks.parts {
		if i > 0 {
			b.WriteString(" and ")
		}
		b.WriteString(p.prop)
		b.WriteString(" eq ")
		b.WriteString(ks.literalOf(i, rk.vals[i]))
	}
	if len(ks.parts) > 1 {
		b.WriteByte(')')
	}
	return b.String()
}

// canonOf computes the canonical key of a record read back from the Web
// API, to match it to rows.
func (ks *keySpec) canonOf(rec map[string]any) (string, bool) {
	var canon strings.Builder
	for i, p := range ks.parts {
		raw, ok := rec[p.prop]
		if !ok || raw == nil {
			return "", false
		}
		if i > 0 {
			canon.WriteByte(0)
		}
		switch x := raw.(type) {
		case string:
			if p.col != nil && p.col.Type == typeDateTime {
				if micros, ok := textconv.ParseTimestamp([]byte(x)); ok {
					canon.WriteString(literal(time.UnixMicro(micros).UTC()))
					continue
				}
			}
			canon.WriteString(strings.ToLower(strings.TrimRight(x, " ")))
		case json.Number:
			if i, err := x.Int64(); err == nil {
				canon.WriteString(strconv.FormatInt(i, 10))
			} else if f, err := x.Float64(); err == nil {
				canon.WriteString(strconv.FormatFloat(f, 'f', -1, 64))
			} else {
				canon.WriteString(x.String())
			}
		case float64:
			canon.WriteString(strconv.FormatFloat(x, 'f', -1, 64))
		default:
			canon.WriteString(fmt.Sprint(x))
		}
	}
	return canon.String(), true
}
