package stdlib

import (
	"fmt"
	"sync"
	"testing"
)

func TestRegexMatch(t *testing.T) {
	runCases(t, []exprCase{
		{expr: `regexMatch("abc123", "[0-9]+")`, want: true},
		{expr: `regexMatch("abc", "^[0-9]+$")`, want: false},
		{expr: `regexMatch("", "^$")`, want: true},
		{expr: `regexMatch("Ünïcödé", "^\\p{L}+$")`, want: true},
		{expr: `regexMatch(s, "x")`, env: map[string]any{"s": nil}, want: false},
		{expr: `regexMatch(s, s2)`, env: map[string]any{"s": "a1", "s2": "[0-9]"}, want: true},
		{expr: `regexMatch("a", "(")`, err: "regexMatch: invalid pattern \"(\": error parsing regexp: missing closing )"},
		{expr: `regexMatch(s, "(")`, env: map[string]any{"s": nil}, err: "regexMatch: invalid pattern"},
	})
	compileFails(t, `regexMatch(1, "a")`, `regexMatch("a", 1)`, `regexMatch("a")`)
}

func TestRegexExtract(t *testing.T) {
	runCases(t, []exprCase{
		{expr: `regexExtract("id=42;", "id=([0-9]+)")`, want: "42"},
		{expr: `regexExtract("id=42;", "id=[0-9]+")`, want: "id=42"},
		{expr: `regexExtract("id=42;", "(id)=([0-9]+)", 2)`, want: "42"},
		{expr: `regexExtract("id=42;", "(id)=([0-9]+)", 0)`, want: "id=42"},
		{expr: `regexExtract("id=42;", "(?P<key>id)=(?P<val>[0-9]+)", 2)`, want: "42"},
		{expr: `regexExtract("abc", "(x)?abc")`, want: nil}, // the group did not take part
		{expr: `regexExtract("abc", "[0-9]")`, want: nil},
		{expr: `regexExtract("abc", "[0-9]") ?? "none"`, want: "none"},
		{expr: `regexExtract("a1b2", "[0-9]")`, want: "1"},
		{expr: `regexExtract("x", "(x)", 2)`, err: "regexExtract: group 2 does not exist: the pattern has 1 capturing groups"},
		{expr: `regexExtract("x", "(x)", -1)`, err: "regexExtract: group -1 does not exist"},
		{expr: `regexExtract(s, "x")`, env: map[string]any{"s": nil}, err: "regexExtract: s is null"},
		{expr: `regexExtract("x", "[")`, err: "regexExtract: invalid pattern \"[\""},
	})
	compileFails(t, `regexExtract("a", "b", "c")`, `regexExtract(1, "b")`)
}

func TestRegexExtractAll(t *testing.T) {
	runCases(t, []exprCase{
		{expr: `regexExtractAll("a1b22c333", "[0-9]+")`, want: []any{"1", "22", "333"}},
		{expr: `regexExtractAll("k=1,k=2", "k=([0-9])")`, want: []any{"1", "2"}},
		{expr: `regexExtractAll("abc", "[0-9]")`, want: []any{}},
		{expr: `len(regexExtractAll("abc", "[0-9]"))`, want: 0},
		{expr: `join(regexExtractAll("a-b-c", "[a-z]"), "")`, want: "abc"},
		{expr: `regexExtractAll(s, "x")`, env: map[string]any{"s": nil}, err: "regexExtractAll: s is null"},
	})
}

func TestRegexReplace(t *testing.T) {
	runCases(t, []exprCase{
		{expr: `regexReplace("a1b2", "[0-9]", "#")`, want: "a#b#"},
		{expr: `regexReplace("abc", "[0-9]", "#")`, want: "abc"},
		{expr: `regexReplace("2024-03-01", "(\\d+)-(\\d+)-(\\d+)", "${3}/${2}/${1}")`, want: "01/03/2024"},
		{expr: `regexReplace("key=v", "(?P<k>\\w+)=(?P<v>\\w+)", "${v}=${k}")`, want: "v=key"},
		{expr: `regexReplace("  a  b ", "\\s+", " ")`, want: " a b "},
		{expr: `regexReplace(s, "x", "y")`, env: map[string]any{"s": nil}, err: "regexReplace: s is null"},
		{expr: `regexReplace("x", "x", s)`, env: map[string]any{"s": nil}, err: "regexReplace: replacement is null"},
	})
	compileFails(t, `regexReplace("a", "b")`)
}

func TestRegexCacheIsBoundedAndConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 1000; i++ {
				pattern := fmt.Sprintf("^p%d$", i)
				got, err := regexMatchFn(fmt.Sprintf("p%d", i), pattern)
				if err != nil || got != true {
					t.Errorf("%s: %v %v", pattern, got, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if n := len(*regexes.m.Load()); n > regexes.max {
		t.Fatalf("cache holds %d patterns, limit %d", n, regexes.max)
	}
}
