package dynamics

import (
	"encoding/json"
	"fmt"
	"math"
	"net"
	"strconv"
	"strings"
)

// ruleKey is a row's values for a rule on one table, in the types of the
// rule's columns, and their canonical form under the rule's comparison:
// two rows, or a row and a record, match when their canonical forms are
// equal.
type ruleKey struct {
	vals  []any // string (text, or a GUID in lower case) or int64
	canon string
}

// key builds a row's key for the rule on this table from the row's
// expression results. A row whose expressions give null or empty text does
// not use the rule: the key is nil. A value that cannot be compared with
// the column (an unknown option label, a malformed GUID) is an error.
func (b *ruleBind) key(res []any) (*ruleKey, error) {
	k := &ruleKey{vals: make([]any, len(b.parts))}
	var canon strings.Builder
	for i, p := range b.parts {
		prog := b.rule.progs[i]
		if prog < 0 {
			return nil, nil
		}
		v := res[prog]
		if isEmpty(v) {
			return nil, nil
		}
		kv, err := p.value(v, b.rule.compare)
		if err != nil {
			return nil, valueErrorf(codeKey, "%s, %s: %v", b.rule.ref(), p.name, err)
		}
		if kv == nil {
			return nil, nil
		}
		k.vals[i] = kv
		if i > 0 {
			canon.WriteByte(0)
		}
		canon.WriteString(canonical(kv, b.rule.compare))
	}
	k.canon = canon.String()
	return k, nil
}

// value converts one value of a row to the type of the rule's column, or
// nil when it comes out empty.
func (p rulePart) value(v any, compare string) (any, error) {
	switch {
	case p.guid:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("expected a GUID, got %s", describeValue(v))
		}
		g, ok := parseGUID(s)
		if !ok {
			return nil, fmt.Errorf("%q is not a GUID", s)
		}
		return g, nil
	case p.col.Type == typeInteger || p.col.Type == typeBigInt:
		i, ok := asWhole(v)
		if !ok {
			return nil, fmt.Errorf("expected a whole number, got %s", describeValue(v))
		}
		return i, nil
	case p.col.hasOptions():
		val, err := optionValue(p.col, v)
		if err != nil {
			return nil, err
		}
		return int64(val), nil
	}
	s, ok := v.(string)
	if !ok {
		s = fmt.Sprint(v)
	}
	if compare == compareDomain {
		if d := domainOf(s); d != "" {
			return d, nil
		}
		return nil, nil
	}
	return s, nil
}

// canonical is a value's form under a comparison. Dataverse compares text
// as SQL Server's default collation does — ignoring case and trailing
// spaces — and so does case_insensitive; exact compares the text as it is.
func canonical(v any, compare string) string {
	switch x := v.(type) {
	case string:
		switch compare {
		case compareExact:
			return x
		case compareDomain:
			return domainOf(x)
		}
		return strings.ToLower(strings.TrimRight(x, " "))
	case int64:
		return strconv.FormatInt(x, 10)
	}
	return fmt.Sprint(v)
}

// recordCanon is the canonical form of a record's values for the rule, as
// read by a lookup; ok is false when one of them is empty.
func (b *ruleBind) recordCanon(rec map[string]any) (string, bool) {
	var canon strings.Builder
	for i, p := range b.parts {
		var raw any
		if p.nav != "" {
			related, _ := rec[p.nav].(map[string]any)
			raw = related[p.navCol]
		} else {
			raw = rec[p.prop]
		}
		if raw == nil {
			return "", false
		}
		var v any
		switch x := raw.(type) {
		case json.Number:
			n, err := x.Int64()
			if err != nil {
				return "", false
			}
			v = n
		case float64:
			if x != math.Trunc(x) {
				return "", false
			}
			v = int64(x)
		case string:
			if p.guid {
				g, ok := parseGUID(x)
				if !ok {
					return "", false
				}
				v = g
			} else {
				v = x
			}
		default:
			v = fmt.Sprint(x)
		}
		c := canonical(v, b.rule.compare)
		if c == "" {
			return "", false
		}
		if i > 0 {
			canon.WriteByte(0)
		}
		canon.WriteString(c)
	}
	return canon.String(), true
}

// domainOf is the host name of a web address, an email address or a bare
// domain, in lower case and without www.: https://www.Acme.com/about,
// sales@acme.com and acme.com all give acme.com.
func domainOf(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if i := strings.Index(s, "://"); i >= 0 {
		s = s[i+3:]
	}
	if i := strings.IndexAny(s, "/?#"); i >= 0 {
		s = s[:i]
	}
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		s = s[i+1:]
	}
	if h, _, err := net.SplitHostPort(s); err == nil {
		s = h
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "www."), ".")
	return s
}

// isEmpty reports whether an expression's value counts as empty: null, or
// text of spaces only, or an empty list.
func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return strings.TrimSpace(x) == ""
	case []any:
		return len(x) == 0
	}
	return false
}

// filterLiteral writes a rule value as an OData literal: text in single
// quotes with quotes doubled, numbers and GUIDs bare.
func filterLiteral(v any, guid bool) string {
	if s, ok := v.(string); ok && guid {
		return s
	}
	return literal(v)
}

// describe writes a key for people: emailaddress1 = 'ann@example.com'.
func (b *ruleBind) describe(k *ruleKey) string {
	parts := make([]string, len(b.parts))
	for i, p := range b.parts {
		parts[i] = p.name + " = " + filterLiteral(k.vals[i], p.guid)
	}
	return strings.Join(parts, " and ")
}

// identity is what makes two rows of a run the same person for the rule,
// whatever table: the rule and the canonical form of the row's values.
func identity(r *rule, k *ruleKey) string { return r.name + "\x01" + k.canon }
