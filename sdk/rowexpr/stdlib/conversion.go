package stdlib

import (
	"strings"
	"time"

	"github.com/expr-lang/expr/vm/runtime"
)

func conversionFunctions() []Function {
	return []Function{
		// expr builtins.
		{
			Name: "int", Category: catConversion, Builtin: true,
			Signature: "int(v int|float|string) int",
			Doc:       "Converts a number (floats are truncated toward zero) or a numeric string to an int. Fails on null and on a non-numeric string: parseInt gives a clearer error.",
			Examples: []Example{
				{`int("42")`, `42`},
				{`int(3.9)`, `3`},
			},
		},
		{
			Name: "float", Category: catConversion, Builtin: true,
			Signature: "float(v int|float|string) float",
			Doc:       "Converts a number or a numeric string to a float. Fails on null and on a non-numeric string: parseFloat handles decimal commas and gives a clearer error.",
			Examples: []Example{
				{`float("2.5")`, `2.5`},
				{`float(2)`, `2.0`},
			},
		},
		{
			Name: "string", Category: catConversion, Builtin: true,
			Signature: "string(v any) string",
			Doc:       "Formats any value as text, as Go's %v does; null becomes \"<nil>\", so write string(v ?? \"\") for nullable columns.",
			Examples: []Example{
				{`string(42)`, `"42"`},
				{`string(true)`, `"true"`},
			},
		},
		{
			Name: "type", Category: catConversion, Builtin: true,
			Signature: "type(v any) string",
			Doc:       "The type of v: \"nil\", \"bool\", \"int\", \"float\", \"string\", \"array\", \"map\", or a Go type name such as \"time.Time\".",
			Examples: []Example{
				{`type(1.5)`, `"float"`},
				{`type(nil)`, `"nil"`},
			},
		},
		{
			Name: "toJSON", Category: catConversion, Builtin: true,
			Signature: "toJSON(v any) string",
			Doc:       "Encodes v as JSON, indented with two spaces; null becomes \"null\".",
			Examples:  []Example{{`toJSON([1, "a"])`, `"[\n  1,\n  \"a\"\n]"`}},
		},
		{
			Name: "fromJSON", Category: catConversion, Builtin: true,
			Signature: "fromJSON(s string) any",
			Doc:       "Decodes a JSON text: objects become maps, arrays lists, and every number a float. Fails on null or invalid JSON.",
			Examples: []Example{
				{`fromJSON("{\"id\": 7, \"tags\": [\"a\"]}").id`, `7.0`},
				{`fromJSON("{\"id\": 7, \"tags\": [\"a\"]}").tags`, `["a"]`},
			},
		},
		{
			Name: "toBase64", Category: catConversion, Builtin: true,
			Signature: "toBase64(s string) string",
			Doc:       "Encodes s in standard, padded Base64. Fails on null.",
			Examples:  []Example{{`toBase64("sluice")`, `"c2x1aWNl"`}},
		},
		{
			Name: "fromBase64", Category: catConversion, Builtin: true,
			Signature: "fromBase64(s string) string",
			Doc:       "Decodes standard, padded Base64. Fails on null or invalid input.",
			Examples:  []Example{{`fromBase64("c2x1aWNl")`, `"sluice"`}},
		},

		// Sluice functions.
		{
			Name: "coalesce", Category: catConversion,
			Signature: "coalesce(values ...any) any",
			Doc: "The first value that is not blank, or null if all are: blank means null, a string of only white space, or an empty list or map (?? skips only null). " +
				"When every argument has the same type (string, int, float, bool or time) so has the result.",
			Examples: []Example{
				{`coalesce(nil, "", "  ", "fallback")`, `"fallback"`},
				{`coalesce("", 0, 5)`, `0`},
				{`coalesce(nil, "")`, `nil`},
			},
			Fn: coalesceFn,
			Types: []any{
				new(func(string, ...string) string),
				new(func(int, ...int) int),
				new(func(float64, ...float64) float64),
				new(func(bool, ...bool) bool),
				new(func(time.Time, ...time.Time) time.Time),
				new(func(any, ...any) any),
			},
		},
		{
			Name: "nullIf", Category: catConversion,
			Signature: "nullIf(value any, other any) any",
			Doc:       "Null if value equals other (with the == operator's rules, so 1 equals 1.0), else value: for placeholders such as \"N/A\" or 0 that mean \"unknown\". Null stays null.",
			Examples: []Example{
				{`nullIf("N/A", "N/A")`, `nil`},
				{`nullIf("Leeds", "N/A")`, `"Leeds"`},
				{`nullIf(0, 0.0)`, `nil`},
			},
			Fn: nullIfFn,
			Types: []any{
				new(func(string, string) string),
				new(func(int, int) int),
				new(func(float64, float64) float64),
				new(func(bool, bool) bool),
				new(func(time.Time, time.Time) time.Time),
				new(func(any, any) any),
			},
		},
		{
			Name: "isBlank", Category: catConversion,
			Signature: "isBlank(value any) bool",
			Doc:       "Reports whether value is null, a string of only white space, or an empty list or map; the test coalesce uses.",
			Examples: []Example{
				{`isBlank(" \t")`, `true`},
				{`isBlank(0)`, `false`},
				{`isBlank([])`, `true`},
			},
			Fn:    isBlankFn,
			Types: []any{new(func(any) bool)},
		},
		{
			Name: "parseBool", Category: catConversion,
			Signature: "parseBool(s string) bool",
			Doc:       "Parses true/false, t/f, yes/no, y/n, on/off and 1/0 in any case, ignoring surrounding white space. Fails on null or anything else.",
			Examples: []Example{
				{`parseBool(" Yes ")`, `true`},
				{`parseBool("0")`, `false`},
				{`parseBool("maybe")`, `error: parseBool: "maybe" is not a boolean (expected true/false, yes/no, y/n, t/f, on/off or 1/0)`},
			},
			Fn:    parseBoolFn,
			Types: []any{new(func(string) bool)},
		},
	}
}

// isBlank reports whether v is null, a blank string, or an empty list or map.
func isBlank(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return isBlankString(x)
	case []any:
		return len(x) == 0
	case []string:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	case map[any]any:
		return len(x) == 0
	}
	return false
}

func coalesceFn(args ...any) (any, error) {
	for _, v := range args {
		if !isBlank(v) {
			return v, nil
		}
	}
	return nil, nil
}

func nullIfFn(args ...any) (any, error) {
	if err := checkArity("nullIf", args, 2, 2); err != nil {
		return nil, err
	}
	if args[0] == nil || args[1] != nil && runtime.Equal(args[0], args[1]) {
		return nil, nil
	}
	return args[0], nil
}

func isBlankFn(args ...any) (any, error) {
	if err := checkArity("isBlank", args, 1, 1); err != nil {
		return nil, err
	}
	return isBlank(args[0]), nil
}

func parseBoolFn(args ...any) (any, error) {
	const fn = "parseBool"
	if err := checkArity(fn, args, 1, 1); err != nil {
		return nil, err
	}
	s, err := argString(fn, "s", args[0])
	if err != nil {
		return nil, err
	}
	t := strings.TrimSpace(s)
	if len(t) <= 5 {
		var buf [5]byte
		for i := 0; i < len(t); i++ {
			c := t[i]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			buf[i] = c
		}
		switch string(buf[:len(t)]) {
		case "true", "t", "yes", "y", "on", "1":
			return true, nil
		case "false", "f", "no", "n", "off", "0":
			return false, nil
		}
	}
	return nil, errorf(fn, "%s is not a boolean (expected true/false, yes/no, y/n, t/f, on/off or 1/0)", quote(s))
}
