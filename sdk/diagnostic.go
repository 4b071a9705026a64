package sdk

import (
	"errors"
	"fmt"
	"strings"
)

// Path names a place in a plugin's configuration, outermost first: attribute
// and block names, block labels, map keys and, for repeated blocks without
// labels, indexes written in decimal. Path{"mapping", "telephone1", "value"}
// is the `value` of the `telephone1` entry in the `mapping` block.
type Path []string

// Child returns a new path with step appended.
func (p Path) Child(step string) Path {
	out := make(Path, len(p), len(p)+1)
	copy(out, p)
	return append(out, step)
}

func (p Path) String() string { return strings.Join(p, ".") }

// Severity says whether a diagnostic stops the pipeline.
type Severity int

// Diagnostic severities.
const (
	Error Severity = iota
	Warning
)

// Diagnostic is a problem found in a plugin's configuration, reported where it
// was written. The engine resolves Path to the file, line and column of the
// attribute, and Pos to a position inside an expression.
type Diagnostic struct {
	Severity Severity
	Summary  string
	Detail   string
	// Path is the configuration element the problem is about, or empty for
	// the plugin's block as a whole.
	Path Path
	// Pos, when set, is a position inside the expression or string at Path.
	Pos *Pos
}

// Pos is a 1-based line and column inside an expression's text.
type Pos struct{ Line, Column int }

func (d Diagnostic) Error() string {
	var b strings.Builder
	if len(d.Path) > 0 {
		b.WriteString(d.Path.String())
		b.WriteString(": ")
	}
	b.WriteString(d.Summary)
	if d.Detail != "" {
		b.WriteString(": ")
		b.WriteString(d.Detail)
	}
	return b.String()
}

// Diagnostics is a list of problems; as an error, it reports them all.
type Diagnostics []Diagnostic

// Errorf returns a one-error Diagnostics about the element at path.
func Errorf(path Path, format string, args ...any) Diagnostics {
	return Diagnostics{{Severity: Error, Summary: fmt.Sprintf(format, args...), Path: path}}
}

// HasErrors reports whether any diagnostic is an error, not a warning.
func (ds Diagnostics) HasErrors() bool {
	for _, d := range ds {
		if d.Severity == Error {
			return true
		}
	}
	return false
}

// Err returns ds as an error if it holds any error, or nil.
func (ds Diagnostics) Err() error {
	if ds.HasErrors() {
		return ds
	}
	return nil
}

func (ds Diagnostics) Error() string {
	msgs := make([]string, len(ds))
	for i, d := range ds {
		msgs[i] = d.Error()
	}
	return strings.Join(msgs, "; ")
}

// AsDiagnostics returns the diagnostics carried by err: err itself if it is a
// Diagnostics or Diagnostic (possibly wrapped), or else one error diagnostic
// with err's message and no path.
func AsDiagnostics(err error) Diagnostics {
	if err == nil {
		return nil
	}
	var ds Diagnostics
	if errors.As(err, &ds) {
		return ds
	}
	var d Diagnostic
	if errors.As(err, &d) {
		return Diagnostics{d}
	}
	return Diagnostics{{Severity: Error, Summary: err.Error()}}
}
