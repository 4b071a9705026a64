package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"

	"golang.org/x/term"

	"github.com/sluicedata/sluice/engine"
	"github.com/sluicedata/sluice/plugins/builtin"
)

// newEngine returns an engine with the builtin plugins, logging to stderr.
func (c *cli) newEngine(level slog.Level) (*engine.Engine, error) {
	logger := slog.New(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: level}))
	return engine.New(engine.WithPlugins(builtin.Plugins()...), engine.WithLogger(logger))
}

// load loads a pipeline, printing diagnostics on failure.
func (c *cli) load(eng *engine.Engine, path string, in engine.Inputs) (*engine.Pipeline, error) {
	p, err := eng.Load(path, in)
	if err != nil {
		return nil, c.reportDiagnostics(err)
	}
	return p, nil
}

// loadPipeline loads the pipeline at path, with the variables in gives it,
// on an engine with the builtin plugins that logs at level, printing
// diagnostics on failure.
func (c *cli) loadPipeline(path string, in *inputFlags, level slog.Level) (*engine.Pipeline, error) {
	eng, err := c.newEngine(level)
	if err != nil {
		return nil, err
	}
	return c.load(eng, path, in.inputs())
}

// pipelineError turns the error of a loaded pipeline's run, plan or mapping
// test into the command's: configuration diagnostics are printed and exit 2
// (see reportDiagnostics); any other error exits 1, with the pipeline's
// secrets redacted from its message.
func (c *cli) pipelineError(p *engine.Pipeline, err error) error {
	var diags *engine.Diagnostics
	if errors.As(err, &diags) {
		return c.reportDiagnostics(err)
	}
	return &exitError{code: exitFailed, err: errors.New(p.Redact(err.Error()))}
}

// reportDiagnostics prints a *engine.Diagnostics error with source snippets
// and turns it into exit code 2; other errors are returned as they are.
func (c *cli) reportDiagnostics(err error) error {
	var diags *engine.Diagnostics
	if !errors.As(err, &diags) {
		return err
	}
	diags.Render(c.stderr, c.width(), c.colors())
	n := 0
	for _, d := range diags.Items() {
		if d.Severity == 1 { // hcl.DiagError
			n++
		}
	}
	return &exitError{code: exitUsage, err: fmt.Errorf("the pipeline has %d %s", n, plural(n, "error", "errors"))}
}

// printWarnings prints the pipeline's warnings, if any, unless err is the
// pipeline's diagnostics: those carry the warnings beside the errors, and
// reportDiagnostics prints them.
func (c *cli) printWarnings(p *engine.Pipeline, err error) {
	var diags *engine.Diagnostics
	if errors.As(err, &diags) {
		return
	}
	if w := p.Warnings(); w.Len() > 0 {
		w.Render(c.stderr, c.width(), c.colors())
	}
}

// terminal reports whether w is a terminal.
func terminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func (c *cli) colors() bool { return terminal(c.stderr) && os.Getenv("NO_COLOR") == "" }

func (c *cli) width() uint {
	if f, ok := c.stderr.(*os.File); ok {
		if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 20 {
			return uint(w)
		}
	}
	return 100
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
