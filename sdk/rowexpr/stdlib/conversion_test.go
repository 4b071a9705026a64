package stdlib

import (
	"testing"
	"time"
)

func TestCoalesce(t *testing.T) {
	ts := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	runCases(t, []exprCase{
		{expr: `coalesce("a")`, want: "a"},
		{expr: `coalesce(s, s2)`, env: map[string]any{"s": nil, "s2": "b"}, want: "b"},
		{expr: `coalesce(s, s2)`, env: map[string]any{"s": " ", "s2": "b"}, want: "b"},
		{expr: `coalesce(s, s2)`, env: map[string]any{"s": " a ", "s2": "b"}, want: " a "}, // not trimmed
		{expr: `coalesce(s, s2)`, env: map[string]any{"s": nil, "s2": nil}, want: nil},
		{expr: `coalesce(s, "default")`, env: map[string]any{"s": "\u00a0"}, want: "default"},
		{expr: `coalesce(n, 0)`, env: map[string]any{"n": nil}, want: 0},
		{expr: `coalesce(n, 0)`, env: map[string]any{"n": 5}, want: 5},
		{expr: `coalesce(f, 0)`, env: map[string]any{"f": nil}, want: 0.0}, // the literal becomes a float
		{expr: `coalesce(b, false)`, env: map[string]any{"b": nil}, want: false},
		{expr: `coalesce(t, date("2024-03-01"))`, env: map[string]any{"t": nil}, want: ts},
		{expr: `coalesce(l, ["x"])`, env: map[string]any{"l": []any{}}, want: []any{"x"}},
		{expr: `coalesce(nil, 1, "a")`, want: 1},
		// The result keeps a single argument type, so it can be used further.
		{expr: `coalesce(s, "x") + "!"`, env: map[string]any{"s": nil}, want: "x!"},
		{expr: `coalesce(n, 1) * 2`, env: map[string]any{"n": nil}, want: 2},
		{expr: `upper(coalesce(s, s2, "none"))`, env: map[string]any{"s": "", "s2": nil}, want: "NONE"},
	})
	compileFails(t,
		`coalesce()`,
		`coalesce(s, "x") * 2`, // typed string: checked
		`len(coalesce(n, 1))`,  // typed int
	)
}

func TestNullIf(t *testing.T) {
	runCases(t, []exprCase{
		{expr: `nullIf(s, "N/A")`, env: map[string]any{"s": "N/A"}, want: nil},
		{expr: `nullIf(s, "N/A")`, env: map[string]any{"s": "n/a"}, want: "n/a"},
		{expr: `nullIf(s, "N/A")`, env: map[string]any{"s": nil}, want: nil},
		{expr: `nullIf(trim(s), "")`, env: map[string]any{"s": "  "}, want: nil},
		{expr: `nullIf(n, 0)`, env: map[string]any{"n": 0}, want: nil},
		{expr: `nullIf(n, 0)`, env: map[string]any{"n": 3}, want: 3},
		{expr: `nullIf(n, 1.0)`, env: map[string]any{"n": 1}, want: nil},
		{expr: `nullIf(f, -1)`, env: map[string]any{"f": -1.0}, want: nil},
		{expr: `nullIf(t, date("1900-01-01"))`, env: map[string]any{"t": time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)}, want: nil},
		{expr: `nullIf(b, false)`, env: map[string]any{"b": false}, want: nil},
		{expr: `nullIf(m.x, "x")`, env: map[string]any{"m": map[string]any{"x": 1}}, want: 1}, // different types are never equal
		{expr: `nullIf(s, s2)`, env: map[string]any{"s": "a", "s2": nil}, want: "a"},
		{expr: `nullIf(s, "x") ?? "was x"`, env: map[string]any{"s": "x"}, want: "was x"},
		{expr: `nullIf(s, "x") + "!"`, env: map[string]any{"s": "y"}, want: "y!"},
	})
	compileFails(t, `nullIf("a")`, `nullIf(s, "x") * 2`)
}

func TestIsBlank(t *testing.T) {
	runCases(t, []exprCase{
		{expr: `isBlank(s)`, env: map[string]any{"s": nil}, want: true},
		{expr: `isBlank(s)`, env: map[string]any{"s": ""}, want: true},
		{expr: `isBlank(s)`, env: map[string]any{"s": "\t\n "}, want: true},
		{expr: `isBlank(s)`, env: map[string]any{"s": "."}, want: false},
		{expr: `isBlank(n)`, env: map[string]any{"n": 0}, want: false},
		{expr: `isBlank(b)`, env: map[string]any{"b": false}, want: false},
		{expr: `isBlank(l)`, env: map[string]any{"l": []any{}}, want: true},
		{expr: `isBlank(l)`, env: map[string]any{"l": []any{nil}}, want: false},
		{expr: `isBlank({})`, want: true},
		{expr: `isBlank(split("", ","))`, want: false}, // [""] has an element
		{expr: `!isBlank(s)`, env: map[string]any{"s": "x"}, want: true},
	})
	compileFails(t, `isBlank()`, `isBlank(1, 2)`)
}

func TestParseBool(t *testing.T) {
	cases := []exprCase{}
	for _, s := range []string{"true", "TRUE", "True", "t", "T", "yes", "YES", "y", "Y", "on", "ON", "1", " true "} {
		cases = append(cases, exprCase{expr: `parseBool(s)`, env: map[string]any{"s": s}, want: true})
	}
	for _, s := range []string{"false", "FALSE", "f", "no", "No", "n", "off", "0", "\tno\n"} {
		cases = append(cases, exprCase{expr: `parseBool(s)`, env: map[string]any{"s": s}, want: false})
	}
	for _, s := range []string{"", "2", "yess", "truee", "-1", "nope", "✓"} {
		cases = append(cases, exprCase{expr: `parseBool(s)`, env: map[string]any{"s": s}, err: "parseBool: " + quote(s) + " is not a boolean"})
	}
	cases = append(cases, exprCase{expr: `parseBool(s)`, env: map[string]any{"s": nil}, err: "parseBool: s is null"})
	runCases(t, cases)
	compileFails(t, `parseBool(1)`, `parseBool(true)`)
}
