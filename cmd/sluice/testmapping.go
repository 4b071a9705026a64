package main

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"text/tabwriter"

	"github.com/sluicedata/sluice/engine"
	"github.com/sluicedata/sluice/sdk"
)

// testMappingCmd creates one record from the first input row that a sink
// would create a record from (the first row, for sinks that cannot plan),
// reads it back, deletes it, and shows, field by field, what was sent and
// what was stored; it names every field that did not round-trip.
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
	row := "a changed row" // a sync sink's rows are not numbered
	if rep.Row >= 0 {
		row = fmt.Sprintf("row %d", rep.Row+1)
	}
	c.printf("%s: created %s %s from %s, read it back", rep.Sink, rep.Table, rep.Record, row)
	if rep.Removed {
		c.printf(" and deleted it.\n")
	} else {
		c.printf(".\n")
	}
	if n := passedRows(rep.Passed); n > 0 {
		c.printf("%s is the first row that would create a %s; the %d before it would not (%s).\n",
			strings.ToUpper(row[:1])+row[1:], rep.Table, n, describeActions(rep.Passed))
	}
	c.printf("\n")
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

// passedRows counts the rows a mapping test passed over.
func passedRows(passed map[sdk.PlanAction]int) int {
	n := 0
	for _, c := range passed {
		n += c
	}
	return n
}

// describeActions lists rows by action, in the order plan totals are
// printed: "5 update, 1 unchanged".
func describeActions(counts map[sdk.PlanAction]int) string {
	var parts []string
	for _, a := range planActions {
		if counts[a] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[a], a))
		}
	}
	return strings.Join(parts, ", ")
}
