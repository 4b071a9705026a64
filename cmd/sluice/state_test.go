package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluicedata/sluice/engine/state"
	"github.com/sluicedata/sluice/plugins/dynamics/emulator/emulatortest"
)

// TestRunsAndStateCommands follows pipelines/README.md through
// parquet-to-dynamics.hcl against an emulator — a change-only sync, rows
// leaving, the safety rail — and checks what `sluice runs`, `sluice state
// show` and `sluice state reset` print and do at each step.
func TestRunsAndStateCommands(t *testing.T) {
	repoRoot(t)
	srv := emulatortest.Start(t)
	dataverseEnv(t, srv)
	// A copy of the example in a directory of its own, so that its state
	// (.sluice/ beside it) stays out of the repository.
	dir := t.TempDir()
	pipeline := filepath.Join(dir, "parquet-to-dynamics.hcl")
	src, err := os.ReadFile("pipelines/parquet-to-dynamics.hcl")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pipeline, src, 0o644); err != nil {
		t.Fatal(err)
	}
	vars := []string{"--var", "rejects=" + filepath.Join(dir, "rejects.jsonl")}
	cmd := func(args ...string) (int, string, string) {
		t.Helper()
		return sluice(context.Background(), append(append(args, pipeline), vars...)...)
	}
	mustCmd := func(args ...string) string {
		t.Helper()
		code, out, errOut := cmd(args...)
		if code != exitOK {
			t.Fatalf("sluice %s: exit %d\n%s\n%s", strings.Join(args, " "), code, out, errOut)
		}
		return out
	}
	stateJSON := func() state.Summary {
		t.Helper()
		var sum state.Summary
		if out := mustCmd("state", "show", "--json"); json.Unmarshal([]byte(out), &sum) != nil {
			t.Fatalf("state show --json printed %q", out)
		}
		return sum
	}

	if out := mustCmd("runs"); out != "No runs yet.\n" {
		t.Errorf("runs before any run: %q", out)
	}

	// The README's runs: all 23 rows; the rows of two customers leave; most
	// leave, and the rail stops the run.
	mustCmd("run", "--quiet")
	mustCmd("run", "--quiet", "--var", "min_value=150")
	code, _, errOut := cmd("run", "--quiet", "--var", "min_value=500")
	if code != exitFailed || !strings.Contains(errOut, "15 of the 21 rows sink.contacts wrote before are not in this run's input") {
		t.Fatalf("the rail: exit %d\n%s", code, errOut)
	}

	out := mustCmd("runs")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "RUN ") {
		t.Fatalf("runs printed:\n%s", out)
	}
	// Newest first: run, status, rows read, the error's start.
	for i, want := range [][]string{
		{"3", "failed", "6", "sink.contacts: too many rows left the input"},
		{"2", "succeeded", "21"},
		{"1", "succeeded", "23"},
	} {
		f := strings.Fields(lines[i+1])
		if len(f) < 7 || f[0] != want[0] || f[4] != want[1] || f[5] != want[2] || len(want) > 3 && !strings.Contains(lines[i+1], want[3]) {
			t.Errorf("runs line %d is %q; want run %s, %s, %s rows read %v", i+1, lines[i+1], want[0], want[1], want[2], want[3:])
		}
	}
	var runs []state.Run
	if out := mustCmd("runs", "--json", "-n", "1"); json.Unmarshal([]byte(out), &runs) != nil || len(runs) != 1 ||
		runs[0].ID != 3 || runs[0].Status != "failed" || !strings.Contains(runs[0].Error, "--allow-mass-delete") || runs[0].Ended.IsZero() {
		t.Errorf("runs --json -n 1: %+v\n%s", runs, out)
	}

	out = mustCmd("state", "show")
	for _, want := range []string{
		`Pipeline "parquet-to-dynamics", state in ` + filepath.Join(dir, ".sluice", "parquet-to-dynamics.db") + " (file).",
		"none: every source starts from the beginning",
		"sink.contacts: 21 rows",
		"Runs recorded: 3",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("state show does not say %q:\n%s", want, out)
		}
	}

	// Forgetting the snapshot: the next run sends every row again, and
	// none of the records of rows that left is acted on.
	if out := mustCmd("state", "reset", "--sink", "sink.contacts"); !strings.Contains(out, "Forgot the sync snapshot of sink.contacts") {
		t.Errorf("state reset --sink: %q", out)
	}
	if sum := stateJSON(); len(sum.Snapshots) != 0 || sum.Runs != 3 {
		t.Errorf("after state reset --sink: %+v", sum)
	}
	srv.ResetRequestLog()
	var summary struct {
		Nodes []struct {
			Node                 string
			Out, Unchanged, Left int64
		} `json:"nodes"`
	}
	if out := mustCmd("run", "--quiet", "--json", "--var", "min_value=500"); json.Unmarshal([]byte(out), &summary) != nil {
		t.Fatalf("run --json printed %q", out)
	}
	written := 0
	for _, e := range srv.RequestLog() {
		if e.Write && e.Status < 400 && e.Operation != "batch" {
			written += e.Records
		}
	}
	for _, n := range summary.Nodes {
		if n.Node == "sink.contacts" && (n.Out != 6 || n.Unchanged != 0 || n.Left != 0 || written != 6) {
			t.Errorf("the run after state reset --sink: %+v, %d records written; want all 6 sent, none left", n, written)
		}
	}

	// Forgetting everything.
	if out := mustCmd("state", "reset"); !strings.Contains(out, "Forgot the state of "+pipeline+": checkpoints, sync snapshots and run history.") {
		t.Errorf("state reset: %q", out)
	}
	if out := mustCmd("runs"); out != "No runs yet.\n" {
		t.Errorf("runs after state reset: %q", out)
	}
	if sum := stateJSON(); len(sum.Snapshots) != 0 || len(sum.Checkpoints) != 0 || sum.Runs != 0 {
		t.Errorf("after state reset: %+v", sum)
	}

	if code, _, errOut := cmd("state", "forget"); code != exitUsage || !strings.Contains(errOut, "usage: sluice state show") {
		t.Errorf("state forget: exit %d, %s", code, errOut)
	}
}
