package main

import (
	"errors"
	"fmt"
	"log/slog"
	"text/tabwriter"

	"github.com/sluicedata/sluice/engine"
)

// testMappingCmd creates one record from the first input row that reaches
// a sink, reads it back, deletes it, and shows, field by field, what was
// sent and what was stored; it names every field that did not round-trip.
func (c *cli) testMappingCmd(args []string) error {
	fs, in := pipelineFlags("test-mapping", "test-mapping <file|dir> [--sink name] [flags]", c.stderr)
	sink := fs.String("sink", "", "the sink to test, as contacts or sink.contacts (needed when several sinks can be tested)")
	path, err := parsePath(fs, args)
	if err != nil {
		return err
	}
	p, err := c.loadPipeline(path, in, slog.LevelWarn)
	if err != nil {
		return err
	}
	rep, err := p.TestMapping(c.ctx, engine.TestMappingOptions{Sink: *sink})
	c.printWarnings(p, err)
	if err != nil {
		var diags *engine.Diagnostics
		if !errors.As(err, &diags) && rep.Cleanup != "" && !rep.Removed {
			fmt.Fprintln(c.stderr, "sluice:", rep.Cleanup)
		}
		return c.pipelineError(p, err)
	}
	c.printf("%s: created %s %s from the first row, read it back", rep.Sink, rep.Table, rep.Record)
	if rep.Removed {
		c.printf(" and deleted it.\n\n")
	} else {
		c.printf(".\n\n")
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\tfield\tsent\tstored\t")
	var bad []string
	for _, f := range rep.Fields {
		mark := "✓"
		if !f.OK {
			mark = "✗"
			bad = append(bad, f.Field)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", mark, f.Field, showValue(f.Sent), showValue(f.Stored), f.Note)
	}
	tw.Flush()
	for _, n := range rep.Notes {
		c.printf("\nNote: %s\n", n)
	}
	if !rep.Removed {
		fmt.Fprintln(c.stderr, "sluice:", rep.Cleanup)
	}
	if len(bad) > 0 {
		return &exitError{code: exitFailed, err: fmt.Errorf("%d %s did not round-trip: %v", len(bad), plural(len(bad), "field", "fields"), bad)}
	}
	c.printf("\nEvery field round-tripped.\n")
	return nil
}
