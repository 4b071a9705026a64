package emulator

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sluicedata/sluice/plugins/dynamics/internal/guid"
)

// filterNode is a parsed $filter expression.
type filterNode interface{}

type (
	logicalNode struct {
		op          string // and, or
		left, right filterNode
	}
	notNode     struct{ x filterNode }
	compareNode struct {
		op          string // eq ne gt ge lt le
		left, right filterNode
	}
	propNode    struct{ path string }
	literalNode struct{ v any } // string, int64, float64, bool, nil, time.Time
	funcNode    struct {
		name string // contains, startswith, endswith
		args []filterNode
	}
	// crmFuncNode is a Dataverse query function such as Microsoft.Dynamics.CRM.In.
	crmFuncNode struct {
		name   string
		prop   string
		values []string
		// lower is the values lower-cased, for matching string columns in one lookup (matching rules send
		// hundreds of values per query)
		lowerOnce sync.Once
		lower     map[string]bool
	}
)

// crmFunctions are the Dataverse query functions the emulator evaluates, with the number of values they take
// (-1: one or more, 0: none).
var crmFunctions = map[string]int{"In": -1, "NotIn": -1, "Between": 2, "NotBetween": 2, "Null": 0, "NotNull": 0, "ContainValues": -1, "DoesNotContainValues": -1}

type filterParser struct {
	src     string
	pos     int
	aliases map[string]string
}

func filterSyntaxError(src string, pos int) *apiError {
	return errBadRequest(codeInvalidQuery, "Syntax error at position %d in '%s'.", pos, src)
}

// parseFilter parses a $filter expression; aliases holds parameter alias values (@p1=...).
func parseFilter(src string, aliases map[string]string) (filterNode, *apiError) {
	p := &filterParser{src: src, aliases: aliases}
	n, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos < len(p.src) {
		return nil, filterSyntaxError(src, p.pos)
	}
	return n, nil
}

func (p *filterParser) skipSpace() {
	for p.pos < len(p.src) && (p.src[p.pos] == ' ' || p.src[p.pos] == '\t') {
		p.pos++
	}
}

// keyword consumes word if it is next, followed by a space or parenthesis.
func (p *filterParser) keyword(word string) bool {
	p.skipSpace()
	end := p.pos + len(word)
	if end > len(p.src) || p.src[p.pos:end] != word {
		return false
	}
	if end < len(p.src) && isIdentChar(p.src[end]) {
		return false
	}
	p.pos = end
	return true
}

func (p *filterParser) parseOr() (filterNode, *apiError) {
	left, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	for p.keyword("or") {
		right, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		left = &logicalNode{op: "or", left: left, right: right}
	}
	return left, nil
}

func (p *filterParser) parseAnd() (filterNode, *apiError) {
	left, err := p.parseNot()
	if err != nil {
		return nil, err
	}
	for p.keyword("and") {
		right, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		left = &logicalNode{op: "and", left: left, right: right}
	}
	return left, nil
}

func (p *filterParser) parseNot() (filterNode, *apiError) {
	if p.keyword("not") {
		x, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		return &notNode{x: x}, nil
	}
	return p.parseComparison()
}

func (p *filterParser) parseComparison() (filterNode, *apiError) {
	left, err := p.parsePrimary()
	if err != nil {
		return nil, err
	}
	for _, op := range []string{"eq", "ne", "gt", "ge", "lt", "le"} {
		if p.keyword(op) {
			right, err := p.parsePrimary()
			if err != nil {
				return nil, err
			}
			return &compareNode{op: op, left: left, right: right}, nil
		}
	}
	return left, nil
}

func isIdentStart(c byte) bool {
	return c == '_' || c == '$' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}

func isIdentChar(c byte) bool {
	return isIdentStart(c) || ('0' <= c && c <= '9') || c == '.' || c == '/'
}

func (p *filterParser) parsePrimary() (filterNode, *apiError) {
	p.skipSpace()
	if p.pos >= len(p.src) {
		return nil, filterSyntaxError(p.src, p.pos)
	}
	c := p.src[p.pos]
	switch {
	case c == '(':
		p.pos++
		n, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		if p.pos >= len(p.src) || p.src[p.pos] != ')' {
			return nil, filterSyntaxError(p.src, p.pos)
		}
		p.pos++
		return n, nil
	case c == '\'':
		s, err := p.stringLiteral()
		if err != nil {
			return nil, err
		}
		return &literalNode{v: s}, nil
	case c == '@':
		name := p.identAt(p.pos + 1)
		raw, ok := p.aliases[name]
		if !ok {
			return nil, errBadRequest(codeInvalidQuery, "The parameter alias '@%s' is not defined.", name)
		}
		p.pos += 1 + len(name)
		sub := &filterParser{src: raw, aliases: p.aliases}
		// an alias stands for a literal ('x', 5) or, unquoted, for a property (@p1=revenue)
		return sub.parsePrimary()
	}
	if lit, n, ok := p.scalarLiteral(); ok {
		p.pos += n
		return &literalNode{v: lit}, nil
	}
	if !isIdentStart(c) {
		return nil, filterSyntaxError(p.src, p.pos)
	}
	name := p.identAt(p.pos)
	p.pos += len(name)
	// enum literal: Namespace.Type'Value'
	if p.pos < len(p.src) && p.src[p.pos] == '\'' {
		s, err := p.stringLiteral()
		if err != nil {
			return nil, err
		}
		return &literalNode{v: s}, nil
	}
	switch name {
	case "true":
		return &literalNode{v: true}, nil
	case "false":
		return &literalNode{v: false}, nil
	case "null":
		return &literalNode{v: nil}, nil
	}
	p.skipSpace()
	if p.pos < len(p.src) && p.src[p.pos] == '(' {
		if fn, ok := strings.CutPrefix(name, "Microsoft.Dynamics.CRM."); ok {
			return p.crmFunction(fn)
		}
		switch name {
		case "contains", "startswith", "endswith":
		default:
			return nil, errBadRequest(codeInvalidQuery, "An unknown function with name '%s' was found. This may also be a function import or a key lookup on a navigation property, which is not allowed.", name)
		}
		p.pos++
		var args []filterNode
		for {
			a, err := p.parsePrimary()
			if err != nil {
				return nil, err
			}
			args = append(args, a)
			p.skipSpace()
			if p.pos < len(p.src) && p.src[p.pos] == ',' {
				p.pos++
				continue
			}
			break
		}
		if p.pos >= len(p.src) || p.src[p.pos] != ')' || len(args) != 2 {
			return nil, filterSyntaxError(p.src, p.pos)
		}
		p.pos++
		return &funcNode{name: name, args: args}, nil
	}
	return &propNode{path: name}, nil
}

func (p *filterParser) identAt(i int) string {
	j := i
	for j < len(p.src) && isIdentChar(p.src[j]) {
		j++
	}
	return p.src[i:j]
}

func (p *filterParser) stringLiteral() (string, *apiError) {
	start := p.pos
	p.pos++
	var b strings.Builder
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		if c == '\'' {
			if p.pos+1 < len(p.src) && p.src[p.pos+1] == '\'' {
				b.WriteByte('\'')
				p.pos += 2
				continue
			}
			p.pos++
			return b.String(), nil
		}
		b.WriteByte(c)
		p.pos++
	}
	return "", errBadRequest(codeInvalidQuery, "There is an unterminated literal at position %d in '%s'.", start, p.src)
}

// scalarLiteral recognises a GUID, date, date-time or number at the current position.
func (p *filterParser) scalarLiteral() (any, int, bool) {
	rest := p.src[p.pos:]
	if len(rest) >= 36 {
		if g, ok := guid.Parse(rest[:36]); ok && (len(rest) == 36 || !isIdentChar(rest[36])) {
			return g, 36, true
		}
	}
	if len(rest) >= 10 && isDigits(rest[:4]) && rest[4] == '-' {
		end := 0
		for end < len(rest) && strings.IndexByte("0123456789-:.TZ+", rest[end]) >= 0 {
			end++
		}
		if tm, ok := parseDateTime(rest[:end]); ok {
			return tm, end, true
		}
	}
	end := 0
	if end < len(rest) && rest[end] == '-' {
		end++
	}
	digits := end
	for end < len(rest) && (rest[end] >= '0' && rest[end] <= '9' || rest[end] == '.' || rest[end] == 'e' || rest[end] == 'E' ||
		(rest[end] == '+' || rest[end] == '-') && end > 0 && (rest[end-1] == 'e' || rest[end-1] == 'E')) {
		end++
	}
	if end == digits {
		return nil, 0, false
	}
	text := rest[:end]
	n := end
	if n < len(rest) && strings.IndexByte("mMdDfFlL", rest[n]) >= 0 {
		n++
	}
	if i, err := strconv.ParseInt(text, 10, 64); err == nil {
		return i, n, true
	}
	if f, err := strconv.ParseFloat(text, 64); err == nil {
		return f, n, true
	}
	return nil, 0, false
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// crmFunction parses Microsoft.Dynamics.CRM.Name(PropertyName='x',PropertyValues=["a","b"]).
func (p *filterParser) crmFunction(name string) (filterNode, *apiError) {
	want, ok := crmFunctions[name]
	if !ok {
		return nil, errBadRequest(codeInvalidQuery, "The query function 'Microsoft.Dynamics.CRM.%s' is not supported by the emulator.", name)
	}
	closeAt := matchParen(p.src, p.pos)
	if closeAt < 0 {
		return nil, filterSyntaxError(p.src, p.pos)
	}
	inner := p.src[p.pos+1 : closeAt]
	p.pos = closeAt + 1
	fn := &crmFuncNode{name: name}
	for _, arg := range splitTopLevel(inner, ',') {
		k, v, found := strings.Cut(strings.TrimSpace(arg), "=")
		if !found {
			return nil, filterSyntaxError(p.src, p.pos)
		}
		v = strings.TrimSpace(v)
		if strings.HasPrefix(v, "@") {
			raw, ok := p.aliases[v[1:]]
			if !ok {
				return nil, errBadRequest(codeInvalidQuery, "The parameter alias '%s' is not defined.", v)
			}
			v = strings.TrimSpace(raw)
		}
		switch strings.TrimSpace(k) {
		case "PropertyName":
			if len(v) < 2 || v[0] != '\'' || v[len(v)-1] != '\'' {
				return nil, filterSyntaxError(p.src, p.pos)
			}
			fn.prop = strings.ReplaceAll(v[1:len(v)-1], "''", "'")
		case "PropertyValues":
			var vals []any
			if err := json.Unmarshal([]byte(singleToDoubleQuotes(v)), &vals); err != nil {
				return nil, errBadRequest(codeInvalidQuery, "The PropertyValues of Microsoft.Dynamics.CRM.%s must be a collection of strings: %s", name, v)
			}
			for _, x := range vals {
				fn.values = append(fn.values, fmt.Sprint(x))
			}
		default:
			return nil, errBadRequest(codeInvalidQuery, "Unknown parameter '%s' of Microsoft.Dynamics.CRM.%s.", k, name)
		}
	}
	if fn.prop == "" || want > 0 && len(fn.values) != want || want < 0 && len(fn.values) == 0 {
		return nil, errBadRequest(codeInvalidQuery, "Microsoft.Dynamics.CRM.%s was called with the wrong parameters.", name)
	}
	return fn, nil
}

// singleToDoubleQuotes accepts ['a','b'] as well as ["a","b"].
func singleToDoubleQuotes(v string) string {
	if !strings.Contains(v, "'") || strings.Contains(v, `"`) {
		return v
	}
	var b strings.Builder
	in := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == '\'' {
			if in && i+1 < len(v) && v[i+1] == '\'' {
				b.WriteByte('\'')
				i++
				continue
			}
			in = !in
			b.WriteByte('"')
			continue
		}
		if in && c == '"' {
			b.WriteString(`\"`)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// walkProps calls fn for every property path used in n.
func walkProps(n filterNode, fn func(path string) *apiError) *apiError {
	switch x := n.(type) {
	case *logicalNode:
		if err := walkProps(x.left, fn); err != nil {
			return err
		}
		return walkProps(x.right, fn)
	case *notNode:
		return walkProps(x.x, fn)
	case *compareNode:
		if err := walkProps(x.left, fn); err != nil {
			return err
		}
		return walkProps(x.right, fn)
	case *funcNode:
		for _, a := range x.args {
			if err := walkProps(a, fn); err != nil {
				return err
			}
		}
	case *propNode:
		return fn(x.path)
	case *crmFuncNode:
		return fn(x.prop)
	}
	return nil
}

// getter returns the value at a property path (nil when null or absent).
type getter func(path string) any

// evalFilter reports whether n is true for the values get returns.
func evalFilter(n filterNode, get getter) bool {
	v, _ := evalNode(n, get).(bool)
	return v
}

func evalNode(n filterNode, get getter) any {
	switch x := n.(type) {
	case *logicalNode:
		l := evalFilter(x.left, get)
		if x.op == "and" {
			return l && evalFilter(x.right, get)
		}
		return l || evalFilter(x.right, get)
	case *notNode:
		return !evalFilter(x.x, get)
	case *compareNode:
		return compareValues(x.op, evalNode(x.left, get), evalNode(x.right, get))
	case *propNode:
		return normalizeForCompare(get(x.path))
	case *literalNode:
		return x.v
	case *funcNode:
		a, _ := evalNode(x.args[0], get).(string)
		b, _ := evalNode(x.args[1], get).(string)
		a, b = strings.ToLower(a), strings.ToLower(b)
		switch x.name {
		case "contains":
			return strings.Contains(a, b)
		case "startswith":
			return strings.HasPrefix(a, b)
		default:
			return strings.HasSuffix(a, b)
		}
	case *crmFuncNode:
		return evalCRMFunction(x, normalizeForCompare(get(x.prop)))
	case bool:
		return x
	}
	return nil
}

func evalCRMFunction(fn *crmFuncNode, v any) bool {
	switch fn.name {
	case "Null":
		return v == nil
	case "NotNull":
		return v != nil
	case "In", "NotIn":
		if str, ok := v.(string); ok {
			fn.lowerOnce.Do(func() {
				fn.lower = make(map[string]bool, len(fn.values))
				for _, x := range fn.values {
					fn.lower[strings.ToLower(x)] = true
				}
			})
			return fn.lower[strings.ToLower(str)] == (fn.name == "In")
		}
		found := false
		for _, s := range fn.values {
			if compareValues("eq", v, literalLike(v, s)) {
				found = true
				break
			}
		}
		return found == (fn.name == "In")
	case "Between", "NotBetween":
		in := compareValues("ge", v, literalLike(v, fn.values[0])) && compareValues("le", v, literalLike(v, fn.values[1]))
		return in == (fn.name == "Between")
	case "ContainValues", "DoesNotContainValues":
		s, _ := v.(string)
		have := map[string]bool{}
		for _, part := range strings.Split(s, ",") {
			have[part] = true
		}
		any := false
		for _, want := range fn.values {
			if have[want] {
				any = true
			}
		}
		return any == (fn.name == "ContainValues")
	}
	return false
}

// literalLike converts a string value to the type of v, for the Dataverse functions whose values are strings.
func literalLike(v any, s string) any {
	switch v.(type) {
	case int64:
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i
		}
	case float64:
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return f
		}
	case bool:
		if b, err := strconv.ParseBool(s); err == nil {
			return b
		}
	case time.Time:
		if tm, ok := parseDateTime(s); ok {
			return tm
		}
	}
	return s
}

func normalizeForCompare(v any) any {
	if ref, ok := v.(lookupRef); ok {
		return ref.ID
	}
	return v
}

// compareValues applies a comparison operator with Dataverse semantics: case-insensitive strings, null only equal
// to null, numbers compared across integer and decimal types.
func compareValues(op string, a, b any) bool {
	if a == nil || b == nil {
		switch op {
		case "eq":
			return a == nil && b == nil
		case "ne":
			return (a == nil) != (b == nil)
		}
		return false
	}
	c, ok := compareOrdered(a, b)
	if !ok {
		return op == "ne"
	}
	switch op {
	case "eq":
		return c == 0
	case "ne":
		return c != 0
	case "gt":
		return c > 0
	case "ge":
		return c >= 0
	case "lt":
		return c < 0
	case "le":
		return c <= 0
	}
	return false
}

// compareOrdered orders two non-null values; ok is false when they cannot be compared.
func compareOrdered(a, b any) (int, bool) {
	switch x := a.(type) {
	case string:
		switch y := b.(type) {
		case string:
			return strings.Compare(strings.ToLower(x), strings.ToLower(y)), true
		case time.Time:
			if tm, ok := parseDateTime(x); ok {
				return tm.Compare(y), true
			}
		case int64, float64:
			if f, err := strconv.ParseFloat(x, 64); err == nil {
				return compareOrdered(f, b)
			}
		}
	case int64:
		switch y := b.(type) {
		case int64:
			return cmpInt(x, y), true
		case float64:
			return cmpFloat(float64(x), y), true
		}
	case float64:
		switch y := b.(type) {
		case int64:
			return cmpFloat(x, float64(y)), true
		case float64:
			return cmpFloat(x, y), true
		}
	case bool:
		if y, ok := b.(bool); ok {
			switch {
			case x == y:
				return 0, true
			case !x:
				return -1, true
			default:
				return 1, true
			}
		}
	case time.Time:
		switch y := b.(type) {
		case time.Time:
			return x.Compare(y), true
		case string:
			if tm, ok := parseDateTime(y); ok {
				return x.Compare(tm), true
			}
		}
	}
	if s, ok := b.(string); ok {
		if c, ok := compareOrdered(s, a); ok {
			return -c, true
		}
	}
	return 0, false
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
