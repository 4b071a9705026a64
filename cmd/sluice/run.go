package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/sluicedata/sluice/engine"
)

func (c *cli) runCmd(args []string) error {
	fs, in := pipelineFlags("run", "run <file|dir> [flags]", c.stderr)
	asJSON := fs.Bool("json", false, "print the run summary as JSON on stdout")
	quiet := fs.Bool("quiet", false, "print no progress, only the summary and errors")
	grace := fs.Duration("grace", 10*time.Second, "after Ctrl-C, how long batches already read may take to be written")
	full := fs.Bool("full", false, "sinks with a sync block send every row, not only those that changed since the last run")
	massDelete := fs.Bool("allow-mass-delete", false, "let sync sinks act on more rows that left their input than their safety rail allows")
	path, err := parsePath(fs, args)
	if err != nil {
		return err
	}
	p, err := c.loadPipeline(path, in, slog.LevelInfo)
	if err != nil {
		return err
	}

	progress := newProgress(c.stderr, terminal(c.stderr) && !*quiet, *quiet)
	stats, err := p.Run(c.ctx, engine.RunOptions{
		Progress:         progress.update,
		ProgressInterval: progress.interval(),
		Grace:            *grace,
		Full:             *full,
		AllowMassDelete:  *massDelete,
	})
	progress.done()
	c.printWarnings(p, err)
	if err != nil && stats.Nodes == nil {
		// The pipeline did not start: a configuration mistake.
		return c.reportDiagnostics(err)
	}
	if *asJSON {
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(summaryJSON(stats)); err != nil {
			return err
		}
	}
	writeSummary(c.stderr, stats)
	switch {
	case stats.Status == engine.StatusInterrupted:
		return &exitError{code: exitInterrupted}
	case err != nil && stats.Error != "":
		// The summary ends with the error: print it once.
		return &exitError{code: exitFailed}
	case err != nil:
		return c.pipelineError(p, err)
	}
	return nil
}

func (c *cli) validateCmd(args []string) error {
	fs, in := pipelineFlags("validate", "validate <file|dir> [flags]", c.stderr)
	online := fs.Bool("online", false, "also connect to each sink's destination and check the configuration against it")
	path, err := parsePath(fs, args)
	if err != nil {
		return err
	}
	p, err := c.loadPipeline(path, in, slog.LevelWarn)
	if err != nil {
		return err
	}
	if err := p.Validate(c.ctx, engine.ValidateOptions{Online: *online}); err != nil {
		return c.reportDiagnostics(err)
	}
	c.printWarnings(p, nil)
	c.printf("%s is valid.\n", path)
	return nil
}

func (c *cli) printf(format string, args ...any) {
	fmt.Fprintf(c.stdout, format, args...)
}
