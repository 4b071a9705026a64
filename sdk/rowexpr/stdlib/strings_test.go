package stdlib

import (
	"strings"
	"testing"
	"time"
)

func TestTitleCase(t *testing.T) {
	runCases(t, []exprCase{
		{expr: `titleCase("jane doe")`, want: "Jane Doe"},
		{expr: `titleCase("JANE DOE")`, want: "Jane Doe"},
		{expr: `titleCase("Jane Doe")`, want: "Jane Doe"},
		{expr: `titleCase("")`, want: ""},
		{expr: `titleCase("   ")`, want: "   "},
		{expr: `titleCase("mary-jane o'neil")`, want: "Mary-Jane O'Neil"},
		{expr: `titleCase("d'angelo l’oréal")`, want: "D'Angelo L’Oréal"},
		{expr: `titleCase("it's o'clock, don't")`, want: "It's O'Clock, Don't"},
		{expr: `titleCase("'tis")`, want: "'Tis"},
		{expr: `titleCase("1st avenue")`, want: "1st Avenue"},
		{expr: `titleCase("mcdonald's")`, want: "Mcdonald's"},
		{expr: `titleCase("ÉLODIE ÅSTRÖM")`, want: "Élodie Åström"},
		{expr: `titleCase("σωκράτης")`, want: "Σωκράτης"},
		{expr: `titleCase("ǆemal")`, want: "ǅemal"}, // title case, not upper case, of a digraph
		{expr: `titleCase("e\u0301cole")`, want: "E\u0301cole"},
		{expr: `titleCase("hello_world  foo\tbar")`, want: "Hello_World  Foo\tBar"},
		{expr: `titleCase("北京 city")`, want: "北京 City"},
		{expr: `titleCase(s)`, env: map[string]any{"s": "sluice data"}, want: "Sluice Data"},
		{expr: `titleCase(s)`, env: map[string]any{"s": nil}, err: "titleCase: s is null"},
		{expr: `titleCase(s ?? "")`, env: map[string]any{"s": nil}, want: ""},
		{expr: `titleCase(m.x)`, env: map[string]any{"m": map[string]any{"x": 42}}, err: "titleCase: s must be a string, got int"},
	})
	compileFails(t, `titleCase(1)`, `titleCase(n)`, `titleCase()`, `titleCase("a", "b")`, `titleCase(nil)`, `titleCase(t)`)
}

// An invalid byte separates words like punctuation does, and is kept as is.
func TestTitleCaseKeepsInvalidUTF8(t *testing.T) {
	in := "ab\xffcd EF"
	got, changed := titleCase(in)
	if !changed || got != "Ab\xffCd Ef" {
		t.Fatalf("titleCase(%q) = %q, %v", in, got, changed)
	}
}

func TestNormalizeSpace(t *testing.T) {
	runCases(t, []exprCase{
		{expr: `normalizeSpace("a b")`, want: "a b"},
		{expr: `normalizeSpace("  a   b  ")`, want: "a b"},
		{expr: `normalizeSpace("a\tb\nc\r\nd")`, want: "a b c d"},
		{expr: `normalizeSpace("a\u00a0\u2003b")`, want: "a b"},
		{expr: `normalizeSpace("")`, want: ""},
		{expr: `normalizeSpace(" \t ")`, want: ""},
		{expr: `normalizeSpace("x ")`, want: "x"},
		{expr: `normalizeSpace(" x")`, want: "x"},
		{expr: `normalizeSpace("Zoë  Brontë")`, want: "Zoë Brontë"},
		{expr: `normalizeSpace(s)`, env: map[string]any{"s": nil}, err: "normalizeSpace: s is null"},
	})
	compileFails(t, `normalizeSpace(1)`)
}

func TestLeftRightTruncate(t *testing.T) {
	runCases(t, []exprCase{
		{expr: `left("abcdef", 3)`, want: "abc"},
		{expr: `left("abc", 3)`, want: "abc"},
		{expr: `left("abc", 0)`, want: ""},
		{expr: `left("", 5)`, want: ""},
		{expr: `left("日本語テキスト", 3)`, want: "日本語"},
		{expr: `left("👩‍💻x", 1)`, want: "👩"}, // code points, not grapheme clusters
		{expr: `left("abc", -1)`, err: "left: n must not be negative, got -1"},
		{expr: `left(s, 2)`, env: map[string]any{"s": nil}, err: "left: s is null"},
		{expr: `right("abcdef", 2)`, want: "ef"},
		{expr: `right("abc", 10)`, want: "abc"},
		{expr: `right("abc", 0)`, want: ""},
		{expr: `right("Zoë", 1)`, want: "ë"},
		{expr: `right("abc", -2)`, err: "right: n must not be negative"},
		{expr: `truncate("abcdef", 4)`, want: "abcd"},
		{expr: `truncate("abcdef", 6)`, want: "abcdef"},
		{expr: `truncate("abcdef", 5, "...")`, want: "ab..."},
		{expr: `truncate("abcdef", 3, "...")`, want: "..."},
		{expr: `truncate("abcdef", 2, "...")`, err: `truncate: suffix "..." is longer than n (2)`},
		{expr: `truncate("abc", 2, "...")`, err: "longer than n"},
		{expr: `truncate("ab", 2, "...")`, want: "ab"}, // fits: the suffix does not matter
		{expr: `truncate("Crème brûlée", 9, "…")`, want: "Crème br…"},
		{expr: `truncate("abc", 0)`, want: ""},
		{expr: `truncate(s, 10)`, env: map[string]any{"s": nil}, err: "truncate: s is null"},
		{expr: `len(truncate(s, 100))`, env: map[string]any{"s": strings.Repeat("é", 150)}, want: 100},
	})
	compileFails(t, `left(1, 2)`, `left("a", "b")`, `left("a")`, `right("a", 1.5)`, `truncate("a")`, `truncate("a", 1, 2)`)
}

func TestPad(t *testing.T) {
	runCases(t, []exprCase{
		{expr: `padLeft("7", 3, "0")`, want: "007"},
		{expr: `padLeft("7", 3)`, want: "  7"},
		{expr: `padLeft("1234", 3, "0")`, want: "1234"},
		{expr: `padLeft("", 2, "ab")`, want: "ab"},
		{expr: `padLeft("x", 4, "ab")`, want: "abax"},
		{expr: `padLeft("é", 3, "·")`, want: "··é"},
		{expr: `padLeft("x", 3, "")`, err: "padLeft: pad must not be empty"},
		{expr: `padLeft("x", -3)`, err: "padLeft: n must not be negative"},
		{expr: `padLeft("x", 10000000)`, err: "padLeft: n must be at most 1048576"},
		{expr: `padRight("7", 3, "0")`, want: "700"},
		{expr: `padRight("ab", 5, "xy")`, want: "abxyx"},
		{expr: `padRight("abc", 2)`, want: "abc"},
		{expr: `padRight(s, 2)`, env: map[string]any{"s": nil}, err: "padRight: s is null"},
		{expr: `padLeft(string(n), 5, "0")`, env: map[string]any{"n": 42}, want: "00042"},
	})
	compileFails(t, `padLeft(7, 3)`, `padLeft("7", "3")`, `padRight("7", 3, 0)`)
}

func TestJoinNonEmpty(t *testing.T) {
	runCases(t, []exprCase{
		{expr: `joinNonEmpty(", ", "a", "b")`, want: "a, b"},
		{expr: `joinNonEmpty(", ", nil, "a", "", " ", "b", nil)`, want: "a, b"},
		{expr: `joinNonEmpty(", ")`, want: ""},
		{expr: `joinNonEmpty(", ", nil, nil)`, want: ""},
		{expr: `joinNonEmpty("", "a", "b")`, want: "ab"},
		{expr: `joinNonEmpty("-", 1, 2.5, true)`, want: "1-2.5-true"},
		{expr: `joinNonEmpty("-", 1e21)`, want: "1000000000000000000000"},
		{expr: `joinNonEmpty(" ", s, s2)`, env: map[string]any{"s": nil, "s2": "Leeds"}, want: "Leeds"},
		{expr: `joinNonEmpty(" ", l, "x")`, env: map[string]any{"l": []any{"a", nil, "b"}}, want: "a b x"},
		{expr: `joinNonEmpty(" ", t)`, env: map[string]any{"t": time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)}, want: "2024-03-01T00:00:00Z"},
		{expr: `joinNonEmpty(" ", [["a"]])`, err: "joinNonEmpty: cannot join nested lists"},
		{expr: `joinNonEmpty(" ", {"a": 1})`, err: "joinNonEmpty: values must be strings, numbers, booleans, times or lists, got map"},
		{expr: `joinNonEmpty(s, "a")`, env: map[string]any{"s": nil}, err: "joinNonEmpty: sep is null"},
	})
	compileFails(t, `joinNonEmpty()`, `joinNonEmpty(1, "a")`)
}
