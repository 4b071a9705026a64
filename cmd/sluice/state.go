package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sluicedata/sluice/engine"
	"github.com/sluicedata/sluice/engine/state"
)

// openState loads a pipeline and opens its state store.
func (c *cli) openState(path string, in *inputFlags) (*engine.Pipeline, state.Store, error) {
	p, err := c.loadPipeline(path, in, slog.LevelWarn)
	if err != nil {
		return nil, nil, err
	}
	store, err := p.State(c.ctx)
	if err != nil {
		return nil, nil, err
	}
	return p, store, nil
}

// runsCmd prints a pipeline's run history, newest first.
func (c *cli) runsCmd(args []string) error {
	fs, in := pipelineFlags("runs", "runs <file|dir> [flags]", c.stderr)
	limit := fs.Int("n", 20, "how many runs to show")
	asJSON := fs.Bool("json", false, "print the runs as JSON")
	path, err := parsePath(fs, args)
	if err != nil {
		return err
	}
	_, store, err := c.openState(path, in)
	if err != nil {
		return err
	}
	defer store.Close()
	runs, err := store.Runs(c.ctx, *limit)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(runs)
	}
	if len(runs) == 0 {
		fmt.Fprintln(c.stdout, "No runs yet.")
		return nil
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tSTARTED\tDURATION\tSTATUS\tREAD\tWRITTEN\tREJECTED\tERROR")
	for _, r := range runs {
		read, written := runTotals(r)
		duration := "-"
		if !r.Ended.IsZero() {
			duration = r.Ended.Sub(r.Started).Round(time.Millisecond).String()
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Started.Local().Format("2006-01-02 15:04:05"), duration, r.Status,
			count(read), count(written), count(r.Rejected), oneLine(r.Error, 60))
	}
	return tw.Flush()
}

// runTotals adds up the rows a run read and wrote from its node counts.
func runTotals(r state.Run) (read, written int64) {
	var nodes []engine.NodeStats
	if err := json.Unmarshal(r.Nodes, &nodes); err != nil {
		return 0, 0
	}
	for _, n := range nodes {
		switch {
		case n.Kind == "source":
			read += n.In
		case n.Kind == "sink" && !n.Rejects:
			written += n.Out
		}
	}
	return read, written
}

func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > max {
		return s[:max-1] + "…"
	}
	return s
}

// stateCmd shows or resets what a pipeline remembers between runs.
func (c *cli) stateCmd(args []string) error {
	if len(args) == 0 || (args[0] != "show" && args[0] != "reset") {
		return usageError("usage: sluice state show <file|dir> | sluice state reset <file|dir> [--sink sink.<name>]")
	}
	sub := args[0]
	fs, in := pipelineFlags("state "+sub, "state "+sub+" <file|dir> [flags]", c.stderr)
	asJSON := fs.Bool("json", false, "print the state as JSON (show)")
	sink := fs.String("sink", "", "reset only this sink's sync snapshot, such as sink.contacts (reset)")
	path, err := parsePath(fs, args[1:])
	if err != nil {
		return err
	}
	p, store, err := c.openState(path, in)
	if err != nil {
		return err
	}
	defer store.Close()
	if sub == "reset" {
		if *sink != "" {
			if err := store.ResetSnapshot(c.ctx, *sink); err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "Forgot the sync snapshot of %s: its next run sends every row.\n", *sink)
			return nil
		}
		if err := store.Reset(c.ctx); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "Forgot the state of %s: checkpoints, sync snapshots and run history.\n", path)
		return nil
	}
	sum, err := store.Describe(c.ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(sum)
	}
	fmt.Fprintf(c.stdout, "Pipeline %q, state in %s (%s).\n", sum.Pipeline, p.Redact(sum.Location), sum.Backend)
	fmt.Fprintf(c.stdout, "\nCheckpoints:\n")
	if len(sum.Checkpoints) == 0 {
		fmt.Fprintln(c.stdout, "  none: every source starts from the beginning")
	}
	for _, source := range sortedKeys(sum.Checkpoints) {
		fmt.Fprintf(c.stdout, "  %s: %s\n", source, printable(sum.Checkpoints[source]))
	}
	fmt.Fprintf(c.stdout, "\nSync snapshots:\n")
	if len(sum.Snapshots) == 0 {
		fmt.Fprintln(c.stdout, "  none")
	}
	for _, sink := range sortedKeys(sum.Snapshots) {
		fmt.Fprintf(c.stdout, "  %s: %s rows\n", sink, count(int64(sum.Snapshots[sink])))
	}
	fmt.Fprintf(c.stdout, "\nRuns recorded: %d (sluice runs %s)\n", sum.Runs, path)
	return nil
}

// printable shows a checkpoint as text when it is text, and as hex otherwise.
func printable(b []byte) string {
	for _, r := range string(b) {
		if r < 0x20 || r == 0xfffd {
			return fmt.Sprintf("%x", b)
		}
	}
	return string(b)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
