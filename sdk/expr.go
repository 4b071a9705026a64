package sdk

// Expr is a row expression written in a pipeline file, in the expr language
// (https://expr-lang.org): the text, and where in the plugin's configuration it
// was written, so that a compile error can point at its file, line and column.
// Package sdk/rowexpr compiles and evaluates it against an Arrow schema.
type Expr struct {
	Text string
	Path Path
}

// IsZero reports whether no expression was given.
func (e Expr) IsZero() bool { return e.Text == "" }

func (e Expr) String() string { return e.Text }
