package stdlib

import (
	"cmp"
	"slices"
	"sync"

	"github.com/expr-lang/expr"
)

// Function documents one function available in row expressions and, unless it
// is one of expr's own builtins, implements it.
type Function struct {
	Name      string // as called in expressions, camelCase like expr's builtins (hasPrefix, toJSON)
	Category  string // "strings", "regex", "dates", "numbers", "hashing", "contact", "conversion", "collections"
	Signature string // human form, e.g. "titleCase(s string) string"
	Doc       string // one or two sentences: what it does, what happens on nil/invalid input
	Examples  []Example
	Builtin   bool                           // true: provided by expr itself; we only document it (Fn and Types are nil)
	Fn        func(args ...any) (any, error) // the implementation; nil for builtins
	Types     []any                          // overloads for expr's checker, e.g. new(func(string) string)
}

// Example is an expression and the value it evaluates to, written the way
// docs/functions.md shows it: strings quoted, lists in brackets, times in
// RFC 3339, nil as nil, and a failing call as "error: <message>".
type Example struct{ Expr, Result string }

// Categories, in the order All sorts them.
const (
	catCollections = "collections"
	catContact     = "contact"
	catConversion  = "conversion"
	catDates       = "dates"
	catHashing     = "hashing"
	catNumbers     = "numbers"
	catRegex       = "regex"
	catStrings     = "strings"
)

// registry is every documented function, sorted by category then name. It is
// built once at package initialisation and never modified afterwards.
var registry = buildRegistry()

func buildRegistry() []Function {
	var all []Function
	for _, group := range [][]Function{
		collectionFunctions(),
		contactFunctions(),
		conversionFunctions(),
		dateFunctions(),
		hashingFunctions(),
		numberFunctions(),
		regexFunctions(),
		stringFunctions(),
	} {
		all = append(all, group...)
	}
	slices.SortFunc(all, func(a, b Function) int {
		if c := cmp.Compare(a.Category, b.Category); c != 0 {
			return c
		}
		return cmp.Compare(a.Name, b.Name)
	})
	return all
}

// All returns every documented function, sorted by category then name.
//
// The returned slice is a fresh copy; the Examples and Types slices inside it
// are shared and must not be modified.
func All() []Function {
	return slices.Clone(registry)
}

var options = sync.OnceValue(func() []expr.Option {
	var opts []expr.Option
	for _, f := range registry {
		if !f.Builtin {
			opts = append(opts, expr.Function(f.Name, f.Fn, f.Types...))
		}
	}
	return opts
})

// Options returns the expr options that install the non-builtin functions
// (expr.Function(name, fn, types...)), built once.
//
// The returned slice is a fresh copy, so callers may append their own options
// (expr.Env, expr.AsBool, ...) to it.
func Options() []expr.Option {
	return slices.Clone(options())
}
