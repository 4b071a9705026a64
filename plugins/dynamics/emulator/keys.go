package emulator

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/sluicedata/sluice/plugins/dynamics/internal/guid"
)

// recordKey addresses one record: by primary id, or by the values of one alternate key.
type recordKey struct {
	id       string
	keyIndex int
	values   map[string]any // alternate key: column → stored value
}

// forbiddenKeyChars are the characters Dataverse does not support in a key value inside a URL path.
const forbiddenKeyChars = "/<>*%&:\\?+"

// parseKeyPredicate parses what is between the parentheses of "set(...)": a GUID, "pk=GUID", or the columns of an
// alternate key ("k1='a',k2=2"). strictChars rejects the characters the service refuses in URL key values.
func parseKeyPredicate(t *Table, pred string, strictChars bool) (*recordKey, *apiError) {
	parts, ok := splitKeyParts(pred)
	if !ok || len(parts) == 0 {
		return nil, errInvalidKey(t.LogicalName)
	}
	if len(parts) == 1 && !strings.Contains(parts[0], "=") || len(parts) == 1 && strings.HasPrefix(parts[0], "'") {
		id, ok := guid.Parse(strings.Trim(parts[0], "'"))
		if !ok {
			return nil, errInvalidKey(t.LogicalName)
		}
		return &recordKey{id: id}, nil
	}
	given := map[string]string{}
	for _, p := range parts {
		name, lit, found := strings.Cut(p, "=")
		if !found {
			return nil, errInvalidKey(t.LogicalName)
		}
		name = strings.TrimSpace(name)
		lit = strings.TrimSpace(lit)
		if strings.HasPrefix(lit, "@") {
			return nil, errBadRequest(codeInvalidQuery, "Parameter aliases are not supported in key predicates: '%s'.", lit)
		}
		if _, dup := given[name]; dup {
			return nil, errInvalidKey(t.LogicalName)
		}
		given[name] = lit
	}
	if len(given) == 1 {
		if lit, ok := given[t.PrimaryID]; ok {
			id, ok := guid.Parse(strings.Trim(lit, "'"))
			if !ok {
				return nil, errInvalidKey(t.LogicalName)
			}
			return &recordKey{id: id}, nil
		}
	}
	// Map "_x_value" names of lookups to their column names.
	cols := map[string]string{}
	for name, lit := range given {
		if c, ok := t.lookupByVal[name]; ok {
			cols[c.LogicalName] = lit
			continue
		}
		cols[name] = lit
	}
	for i, k := range t.Keys {
		if !sameColumns(k.Columns, cols) {
			continue
		}
		rk := &recordKey{keyIndex: i, values: map[string]any{}}
		for _, col := range k.Columns {
			c := t.byName[col]
			v, ok := keyLiteral(c, cols[col])
			if !ok {
				return nil, errInvalidKey(t.LogicalName)
			}
			if s, isStr := v.(string); isStr && strictChars && strings.ContainsAny(s, forbiddenKeyChars) {
				return nil, newAPIError(http.StatusBadRequest, codeInvalidQuery,
					"The key value '%s' contains characters that are not supported in a key in the request URI. Query the record by a filter and address it by its id instead.", s)
			}
			rk.values[col] = v
		}
		return rk, nil
	}
	return nil, errInvalidKey(t.LogicalName)
}

func sameColumns(keyCols []string, given map[string]string) bool {
	if len(keyCols) != len(given) {
		return false
	}
	for _, c := range keyCols {
		if _, ok := given[c]; !ok {
			return false
		}
	}
	return true
}

// splitKeyParts splits on commas outside quoted strings.
func splitKeyParts(s string) ([]string, bool) {
	var parts []string
	inQuote := false
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\'':
			if inQuote && i+1 < len(s) && s[i+1] == '\'' {
				i++
				continue
			}
			inQuote = !inQuote
		case ',':
			if !inQuote {
				parts = append(parts, strings.TrimSpace(s[start:i]))
				start = i + 1
			}
		}
	}
	if inQuote {
		return nil, false
	}
	parts = append(parts, strings.TrimSpace(s[start:]))
	return parts, true
}

// keyLiteral converts a key literal to the stored value type of column c.
func keyLiteral(c *Column, lit string) (any, bool) {
	if strings.HasPrefix(lit, "'") {
		if len(lit) < 2 || !strings.HasSuffix(lit, "'") {
			return nil, false
		}
		s := strings.ReplaceAll(lit[1:len(lit)-1], "''", "'")
		switch c.Type {
		case TypeString, TypeMemo:
			return s, true
		case TypeDateTime:
			tm, ok := parseDateTime(s)
			return tm, ok
		}
		return nil, false
	}
	switch c.Type {
	case TypeInteger, TypeBigInt, TypePicklist, TypeState, TypeStatus:
		i, err := strconv.ParseInt(lit, 10, 64)
		return i, err == nil
	case TypeDecimal, TypeMoney, TypeDouble:
		f, err := strconv.ParseFloat(strings.TrimRight(lit, "mMdD"), 64)
		return f, err == nil
	case TypeDateTime:
		tm, ok := parseDateTime(lit)
		return tm, ok
	case TypeLookup, TypeCustomer, TypeOwner:
		id, ok := guid.Parse(lit)
		return lookupRef{ID: id}, ok
	case TypeUniqueID:
		id, ok := guid.Parse(lit)
		return id, ok
	}
	return nil, false
}

// find returns the record a key addresses, or nil.
func (td *tableData) find(k *recordKey) *record {
	if k.id != "" {
		return td.records[k.id]
	}
	return td.findByKey(k.keyIndex, k.values)
}

// entityRef is a parsed "set(predicate)" reference, as used in URLs, @odata.bind and @odata.id.
type entityRef struct {
	set       string
	predicate string
	rest      string // path after the closing parenthesis, without the leading '/'
}

// parseEntityRef parses "[https://host][/api/data/v9.x]/set(pred)[/rest]".
func parseEntityRef(s string) (entityRef, bool) {
	if i := strings.Index(s, "/api/data/"); i >= 0 {
		s = s[i+len("/api/data/"):]
		if j := strings.IndexByte(s, '/'); j >= 0 {
			s = s[j+1:]
		} else {
			return entityRef{}, false
		}
	}
	s = strings.TrimPrefix(s, "/")
	open := strings.IndexByte(s, '(')
	if open <= 0 {
		return entityRef{}, false
	}
	closeAt := matchParen(s, open)
	if closeAt < 0 {
		return entityRef{}, false
	}
	ref := entityRef{set: s[:open], predicate: s[open+1 : closeAt]}
	rest := s[closeAt+1:]
	if rest != "" {
		if rest[0] != '/' {
			return entityRef{}, false
		}
		ref.rest = rest[1:]
	}
	return ref, true
}

// matchParen returns the index of the parenthesis closing the one at open, skipping quoted strings.
func matchParen(s string, open int) int {
	depth := 0
	inSingle, inDouble := false, false
	for i := open; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' && !inSingle:
			inDouble = !inDouble
		case c == '\'' && !inDouble:
			inSingle = !inSingle
		case inSingle || inDouble:
		case c == '(':
			depth++
		case c == ')':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}
