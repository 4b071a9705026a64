// Package stdlib is the standard function library of Sluice row expressions:
// the functions that filter conditions, computed columns and field mappings
// can call, such as titleCase(name), normalizeEmail(email) or
// parseTime(created, "%d/%m/%Y").
//
// It is also the documentation of those functions: All lists every function
// with its signature, category, description and examples, including the expr
// builtins that ETL work needs (marked Builtin), and `sluice functions` and
// docs/functions.md are generated from it. Every example is evaluated by the
// tests, so the documentation cannot drift from the behaviour.
//
// # For pipeline authors
//
// Row expressions are written in expr (https://expr-lang.org). Column values
// arrive typed from the Arrow schema (string, int, float, bool, time, list),
// and the expression is type-checked when the pipeline is loaded, so
// titleCase(42) is reported before any data moves.
//
// A SQL NULL arrives as nil. Unless its documentation says otherwise, a
// function given nil fails with an error naming the function and the argument
// ("titleCase: s is null"), and the row is rejected with that message as its
// reason. The exceptions are the functions whose point is null: coalesce,
// nullIf and isBlank; the predicates regexMatch, isValidEmail and
// isValidPhone, which are false on null; and the hash functions, which hash
// null as a value of its own. To pass over nulls instead, use expr's ??
// operator, as in titleCase(name ?? ""), or a condition, as in
// isValidEmail(email) ? normalizeEmail(email) : nil. expr's own builtins
// (lower, trim, split, ...) also fail on null, with less helpful messages.
//
// Functions that return text never change the input more than documented, and
// functions that normalise (normalizeEmail, normalizePhone, titleCase, ...) are
// deterministic: the same input gives the same output on every machine and in
// every run. Time zone names are IANA names ("Europe/Paris"), resolved with the
// machine's zone database. now() is the only function whose result changes
// between runs.
//
// Time layouts (parseTime, formatTime) are a name (RFC3339, date, datetime,
// ...), a strftime pattern with % directives, or a Go reference layout such as
// "02/01/2006 15:04"; see parseTime. A strftime pattern is translated to a Go
// layout, so literal text in it that Go would read as a layout element (a
// digit, Jan, Mon, PM, ...) is refused with an error rather than misread. Times also support expr's operators:
// t + duration("2h"), t2 - t1 (a duration, with .Hours()), t1 < t2, and Go's
// time methods such as t.Year() or t.UTC().
//
// # For plugin and engine authors
//
// Options returns the expr options that install the functions; add them to
// expr.Compile next to expr.Env:
//
//	opts := append(stdlib.Options(), expr.Env(env))
//	program, err := expr.Compile(source, opts...)
//
// A failing call panics inside expr's VM, which returns it as a *file.Error
// whose Unwrap gives the function's own error ("normalizePhone: ... is too
// short"), without expr's source snippet.
//
// The functions are safe for concurrent use by any number of programs and
// goroutines. They do not use reflection on the hot path, they return their
// input as is (without allocating) when there is nothing to change, and they
// cache what can be cached: compiled regular expressions, resolved layouts and
// loaded time zones, keyed by the pattern, layout or name.
//
// Adding a function means adding an entry to the list of its category's file
// (strings.go, dates.go, ...), with Types describing every overload for expr's
// checker, then regenerating docs/functions.md:
//
//	go test ./sdk/rowexpr/stdlib -run TestFunctionsMarkdown -update
package stdlib
