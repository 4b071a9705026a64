// Package rowexpr compiles and evaluates row expressions — the expr-language
// (https://expr-lang.org) snippets that pipeline files use for filter
// conditions, computed columns and field mappings — over Arrow record batches.
//
// An expression is compiled once, against the Arrow schema of the batches it
// will see, when the pipeline is validated: an unknown column or a type error
// is a diagnostic at the expression's line and column in the pipeline file,
// reported before any data moves. Each column is visible by name with the Go
// type of its Arrow type:
//
//	utf8, large_utf8, binary      string
//	int8 … int64, uint8 … uint64  int
//	float16 … float64, decimal    float64
//	bool                          bool
//	timestamp, date32, date64     time.Time (UTC)
//	duration                      time.Duration
//	list                          []any
//	struct                        map[string]any
//
// A null value is nil at run time; `??` supplies a default (`last_name ??
// "Unknown"`). Columns whose names are not identifiers are reachable as
// `$env["first name"]`. The functions of package rowexpr/stdlib are available
// in every expression.
//
// An expression that fails on a row — nil passed to a function, a bad date —
// fails that row alone: the evaluator reports it as an [sdk.RowError] and
// goes on.
//
// # Two ways to evaluate
//
// An [Evaluator] runs each program one of two ways, with the same results:
//
//   - Column by column. The checked tree of the expression is compiled into
//     typed operations over whole batches: a column is read from its Arrow
//     buffers as []int, []float64, []string (pointing into the buffers),
//     []bool or []time.Time with a null mask, and each operation produces
//     such a vector, so nothing is boxed and nothing is allocated per row;
//     strings an expression produces are written into an arena that lives
//     for the batch, then copied once into the output column. This covers
//     the shapes pipelines use: columns (also as $env["name"]), literals and
//     nil; !, not and unary -; + - * / % ** on numbers and + on strings;
//     == != < <= > >= on numbers, strings, times and bools and against nil;
//     && || and or, ?: and if/else, ??; in a list of literals, contains,
//     startsWith, endsWith, matches a literal pattern; and the builtins
//     lower, upper, trim, trimPrefix, trimSuffix, hasPrefix, hasSuffix,
//     indexOf, lastIndexOf, replace (3 arguments), len of a string, abs,
//     ceil, floor, round, int, float and string.
//   - Row by row, on expr's virtual machine, for everything else: the
//     functions of package stdlib and expr's other builtins, member access
//     and methods, closures, lists and maps, durations, variables, and any
//     expression whose type the checker cannot tell. The machine and its
//     environment are reused, and the environment holds only the columns
//     these programs read.
//
// [Program.Columnar] tells which applies. The columnar evaluator follows
// the machine exactly, and differential tests hold it to that: the same
// value of the same Go type on every row, and the same failures with the
// same messages — a nil operand fails where the machine's type assertion
// would (lower(nil), nil > 100, nil && x), `==` between two ints or two
// strings fails on nil while `==` between other types compares nil as a
// value, && || ?: and ?? evaluate an operand only on the rows that reach it,
// ints wrap around, `/` divides as floats, `%` by zero fails, and a
// condition ([AsBool]) that is nil is false.
package rowexpr
