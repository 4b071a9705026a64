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
// Evaluation reuses one virtual machine and one environment per [Evaluator]
// and loads only the columns an expression references. An expression that
// fails on a row — nil passed to a function, a bad date — fails that row
// alone: the evaluator reports it as an [sdk.RowError] and goes on.
package rowexpr
