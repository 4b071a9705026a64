package stdlib

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/functions.md from the registry")

// functionsDoc is the generated reference, relative to this package.
var functionsDoc = filepath.Join("..", "..", "..", "docs", "functions.md")

// TestFunctionsMarkdown fails when docs/functions.md no longer matches All();
// regenerate it with
//
//	go test ./sdk/rowexpr/stdlib -run TestFunctionsMarkdown -update
func TestFunctionsMarkdown(t *testing.T) {
	want := renderMarkdown(All())
	if *update {
		if err := os.WriteFile(functionsDoc, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(functionsDoc)
	if err != nil {
		t.Fatalf("%v (generate it with: go test ./sdk/rowexpr/stdlib -run TestFunctionsMarkdown -update)", err)
	}
	if string(got) != want {
		t.Fatal("docs/functions.md is stale: regenerate it with go test ./sdk/rowexpr/stdlib -run TestFunctionsMarkdown -update")
	}
}

var categoryIntros = map[string]string{
	"collections": "Lists (Arrow list columns, split results, JSON arrays) and maps. A predicate is an expression in which `#` is the current element.",
	"contact":     "Cleaning contact data before it is matched or loaded into a CRM.",
	"conversion":  "Converting between types, and handling nulls and blanks.",
	"dates":       "Parsing, formatting and calendar arithmetic on times. Times also support `+`/`-` with a duration, `-` between times, comparisons, and Go's methods such as `.Year()` or `.UTC()`.",
	"hashing":     "Stable hashes for keys, deduplication and change detection: the same values give the same hash on every machine and in every run.",
	"numbers":     "Rounding, parsing and aggregating numbers.",
	"regex":       "Regular expressions in RE2 syntax (https://github.com/google/re2/wiki/Syntax). Write backslashes twice inside expression strings: `\"\\\\d+\"`. Compiled patterns are cached.",
	"strings":     "Text functions. Lengths and positions count characters (Unicode code points) unless a function says bytes.",
}

func renderMarkdown(fns []Function) string {
	var b strings.Builder
	b.WriteString(`# Row expression functions

<!-- Generated from sdk/rowexpr/stdlib by
     go test ./sdk/rowexpr/stdlib -run TestFunctionsMarkdown -update
     Do not edit by hand: a test fails when this file is stale. -->

Filter conditions, computed columns and field mappings are written in
[expr](https://expr-lang.org/docs/language-definition). This is the reference
of the functions they can call: Sluice's standard library, and the expr
builtins most useful for ETL (marked *expr builtin*; expr has a few more).
` + "`sluice functions`" + ` prints the same list. Every example below is run by the
tests, so the results shown are the real ones.

**Nulls.** A SQL NULL arrives as ` + "`nil`" + `. A function given ` + "`nil`" + ` fails with
an error naming the function and the argument (` + "`titleCase: s is null`" + `), and
the row is rejected with that reason, unless its description says otherwise.
Use ` + "`??`" + ` to supply a default (` + "`titleCase(name ?? \"\")`" + `) or a condition
(` + "`isValidEmail(email) ? normalizeEmail(email) : nil`" + `) to keep such rows.

**Types.** ` + "`string`, `int`, `float`, `bool`, `time`, `duration`, `list`, `map`" + ` and
` + "`any`" + `; ` + "`a|b`" + ` means either, ` + "`[, x]`" + ` an optional argument and ` + "`...`" + ` any
number of them. Calls are type-checked when the pipeline loads.

`)
	var cats []string
	byCat := map[string][]Function{}
	for _, f := range fns {
		if _, ok := byCat[f.Category]; !ok {
			cats = append(cats, f.Category)
		}
		byCat[f.Category] = append(byCat[f.Category], f)
	}
	b.WriteString("## Contents\n\n")
	for _, c := range cats {
		b.WriteString("- [" + c + "](#" + c + "): ")
		for i, f := range byCat[c] {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("[" + f.Name + "](#" + strings.ToLower(f.Name) + ")")
		}
		b.WriteString("\n")
	}
	for _, c := range cats {
		b.WriteString("\n## " + c + "\n\n" + categoryIntros[c] + "\n")
		for _, f := range byCat[c] {
			b.WriteString("\n### " + f.Name + "\n\n")
			b.WriteString(codeSpan(f.Signature))
			if f.Builtin {
				b.WriteString(" *expr builtin*")
			}
			b.WriteString("\n\n" + f.Doc + "\n\n")
			b.WriteString("| Expression | Result |\n| --- | --- |\n")
			for _, ex := range f.Examples {
				b.WriteString("| " + codeSpan(ex.Expr) + " | " + codeSpan(ex.Result) + " |\n")
			}
		}
	}
	return b.String()
}

// codeSpan renders s as inline code inside a table cell: pipes are escaped,
// and the fence is longer than any run of backticks in s.
func codeSpan(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	if strings.Contains(s, "`") {
		return fence + " " + s + " " + fence
	}
	return fence + s + fence
}
