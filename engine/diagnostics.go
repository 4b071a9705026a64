package engine

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/sluicedata/sluice/engine/redact"
)

// Diagnostics are the mistakes found in a pipeline, each at its file, line and
// column. As an error, it is returned only when at least one is an error
// rather than a warning.
type Diagnostics struct {
	diags    hcl.Diagnostics
	files    map[string]*hcl.File
	redactor *redact.Redactor
}

// diagnostics keeps warnings and returns the errors among diags as a
// *Diagnostics, or nil.
func (p *Pipeline) diagnostics(diags hcl.Diagnostics) error {
	var errs hcl.Diagnostics
	for _, d := range diags {
		if d.Severity == hcl.DiagWarning {
			p.warnings = append(p.warnings, d)
		} else {
			errs = append(errs, d)
		}
	}
	if len(errs) == 0 {
		return nil
	}
	var files map[string]*hcl.File
	if p.config != nil {
		files = p.config.Files
	}
	// Report warnings beside the errors: they often explain them.
	return &Diagnostics{diags: append(errs, p.warnings...), files: files, redactor: p.redactor}
}

// Items returns the diagnostics.
func (d *Diagnostics) Items() hcl.Diagnostics { return d.diags }

// Len returns the number of diagnostics.
func (d *Diagnostics) Len() int { return len(d.diags) }

// HasErrors reports whether any diagnostic is an error.
func (d *Diagnostics) HasErrors() bool { return d.diags.HasErrors() }

// Error lists the diagnostics, one per line, each with its position.
func (d *Diagnostics) Error() string {
	lines := make([]string, len(d.diags))
	for i, diag := range d.diags {
		lines[i] = d.redactor.String(Position(diag) + diag.Summary + detailSuffix(diag))
	}
	return strings.Join(lines, "\n")
}

// Render writes the diagnostics as Terraform does: summary, file:line:column,
// the source lines with the problem underlined, and the detail. Lines wrap
// at width; color adds terminal colors.
func (d *Diagnostics) Render(w io.Writer, width uint, color bool) error {
	var buf bytes.Buffer
	wr := hcl.NewDiagnosticTextWriter(&buf, d.files, width, color)
	for _, diag := range d.diags {
		if err := wr.WriteDiagnostic(diag); err != nil {
			return err
		}
		if diag.Subject != nil {
			fmt.Fprintf(&buf, "  at %s\n", Position(diag)[:len(Position(diag))-2])
		}
		buf.WriteString("\n")
	}
	_, err := io.WriteString(w, d.redactor.String(buf.String()))
	return err
}

// Position is "file:line:column: " for a diagnostic with a subject, or "".
func Position(d *hcl.Diagnostic) string {
	if d.Subject == nil {
		return ""
	}
	return fmt.Sprintf("%s:%d:%d: ", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column)
}

func detailSuffix(d *hcl.Diagnostic) string {
	if d.Detail == "" {
		return ""
	}
	return ": " + strings.ReplaceAll(d.Detail, "\n", " ")
}
