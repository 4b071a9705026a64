package jsonl

import (
	"encoding/json"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
)

// kind is the JSON type of a value.
type kind uint8

const (
	kindNull kind = iota
	kindString
	kindNumber
	kindTrue
	kindFalse
	kindObject
	kindArray
)

func (k kind) String() string {
	return [...]string{"null", "a string", "a number", "true", "false", "an object", "an array"}[k]
}

// value is a raw top-level value of a line: for strings the text between
// the quotes (escaped if the flag says so), otherwise the value's JSON text.
type value struct {
	kind    kind
	escaped bool
	raw     []byte
}

// syntaxError is a line that is not one JSON object.
type syntaxError struct {
	offset int
	msg    string
}

func (e *syntaxError) Error() string { return fmt.Sprintf("%s at byte %d", e.msg, e.offset+1) }

// scanObject scans one line holding a JSON object and calls visit for each
// top-level key. Nested objects and arrays are checked for validity but not
// decoded: they are passed whole.
func scanObject(line []byte, visit func(key []byte, keyEscaped bool, v value)) error {
	i := skipSpace(line, 0)
	if i >= len(line) || line[i] != '{' {
		return &syntaxError{i, "a line must be a JSON object"}
	}
	i = skipSpace(line, i+1)
	if i < len(line) && line[i] == '}' {
		return trailing(line, i+1)
	}
	for {
		if i >= len(line) || line[i] != '"' {
			return &syntaxError{i, "expected a key in quotes"}
		}
		key, escaped, end, err := scanString(line, i)
		if err != nil {
			return err
		}
		i = skipSpace(line, end)
		if i >= len(line) || line[i] != ':' {
			return &syntaxError{i, "expected ':' after a key"}
		}
		i = skipSpace(line, i+1)
		v, end, err := scanValue(line, i)
		if err != nil {
			return err
		}
		visit(key, escaped, v)
		i = skipSpace(line, end)
		switch {
		case i >= len(line):
			return &syntaxError{i, "unexpected end of line in an object"}
		case line[i] == ',':
			i = skipSpace(line, i+1)
		case line[i] == '}':
			return trailing(line, i+1)
		default:
			return &syntaxError{i, "expected ',' or '}'"}
		}
	}
}

func trailing(line []byte, i int) error {
	if i = skipSpace(line, i); i < len(line) {
		return &syntaxError{i, "text after the object"}
	}
	return nil
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}

// scanString scans the string starting at the quote b[i] and returns its
// content, whether it has escapes, and the position after it.
func scanString(b []byte, i int) ([]byte, bool, int, error) {
	start := i + 1
	escaped := false
	for j := start; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			return b[start:j], escaped, j + 1, nil
		case c == '\\':
			escaped = true
			j++
		case c < 0x20:
			return nil, false, 0, &syntaxError{j, "control character in a string"}
		}
	}
	return nil, false, 0, &syntaxError{i, "unterminated string"}
}

func scanValue(b []byte, i int) (value, int, error) {
	if i >= len(b) {
		return value{}, i, &syntaxError{i, "expected a value"}
	}
	switch c := b[i]; {
	case c == '"':
		s, esc, end, err := scanString(b, i)
		return value{kind: kindString, escaped: esc, raw: s}, end, err
	case c == '-' || (c >= '0' && c <= '9'):
		j := i + 1
		for j < len(b) && (b[j] >= '0' && b[j] <= '9' || b[j] == '.' || b[j] == 'e' || b[j] == 'E' || b[j] == '+' || b[j] == '-') {
			j++
		}
		return value{kind: kindNumber, raw: b[i:j]}, j, nil
	case c == 't' && hasWord(b, i, "true"):
		return value{kind: kindTrue, raw: b[i : i+4]}, i + 4, nil
	case c == 'f' && hasWord(b, i, "false"):
		return value{kind: kindFalse, raw: b[i : i+5]}, i + 5, nil
	case c == 'n' && hasWord(b, i, "null"):
		return value{kind: kindNull, raw: b[i : i+4]}, i + 4, nil
	case c == '{' || c == '[':
		end, err := skipNested(b, i)
		if err != nil {
			return value{}, 0, err
		}
		raw := b[i:end]
		if !json.Valid(raw) {
			return value{}, 0, &syntaxError{i, "invalid nested value"}
		}
		k := kindObject
		if c == '[' {
			k = kindArray
		}
		return value{kind: k, raw: raw}, end, nil
	}
	return value{}, 0, &syntaxError{i, "expected a value"}
}

func hasWord(b []byte, i int, w string) bool {
	return len(b)-i >= len(w) && string(b[i:i+len(w)]) == w
}

// skipNested finds the end of the object or array at b[i], counting
// brackets outside strings.
func skipNested(b []byte, i int) (int, error) {
	depth := 0
	for j := i; j < len(b); j++ {
		switch b[j] {
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return j + 1, nil
			}
		case '"':
			_, _, end, err := scanString(b, j)
			if err != nil {
				return 0, err
			}
			j = end - 1
		}
	}
	return 0, &syntaxError{i, "unterminated object or array"}
}

// unescape appends the unescaped content of a JSON string to dst. It
// reports false for an invalid escape.
func unescape(dst, s []byte) ([]byte, bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			dst = append(dst, c)
			continue
		}
		i++
		if i >= len(s) {
			return dst, false
		}
		switch s[i] {
		case '"', '\\', '/':
			dst = append(dst, s[i])
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, ok := hex4(s, i+1)
			if !ok {
				return dst, false
			}
			i += 4
			if utf16.IsSurrogate(r) {
				r2, ok := rune(0), false
				if i+2 < len(s) && s[i+1] == '\\' && s[i+2] == 'u' {
					r2, ok = hex4(s, i+3)
				}
				if dec := utf16.DecodeRune(r, r2); ok && dec != utf8.RuneError {
					r = dec
					i += 6
				} else {
					r = utf8.RuneError
				}
			}
			dst = utf8.AppendRune(dst, r)
		default:
			return dst, false
		}
	}
	return dst, true
}

func hex4(s []byte, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range s[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}
