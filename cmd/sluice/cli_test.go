package main

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicedata/sluice/cmd/segmentgen/segment"
)

var update = flag.Bool("update", false, "rewrite the golden files of broken pipelines")

// repoRoot makes the repository root the working directory, as for a user
// running sluice from a checkout, so pipeline paths read as they are written.
func repoRoot(t *testing.T) {
	t.Helper()
	t.Chdir("../..")
}

// TestBrokenPipelines validates every broken pipeline in testdata/broken and
// compares what sluice prints with the golden file beside it: every mistake,
// in one pass, at its file, line and column, with the source line. Running
// the pipeline must print the same, each warning once.
func TestBrokenPipelines(t *testing.T) {
	repoRoot(t)
	cases, _ := filepath.Glob("testdata/broken/*.hcl")
	cases = append(cases, "testdata/broken/split-dir")
	for _, path := range cases {
		t.Run(filepath.Base(path), func(t *testing.T) {
			code, stdout, stderr := sluice(context.Background(), "validate", path)
			if code != exitUsage || stdout != "" {
				t.Errorf("exit %d, stdout %q; want exit %d and nothing on stdout", code, stdout, exitUsage)
			}
			runCode, runStdout, runStderr := sluice(context.Background(), "run", path)
			if runCode != exitUsage || runStdout != "" || runStderr != stderr {
				t.Errorf("run: exit %d, stdout %q, stderr:\n%s\nwant exit %d, nothing on stdout, and what validate printed:\n%s",
					runCode, runStdout, runStderr, exitUsage, stderr)
			}
			golden := strings.TrimSuffix(path, ".hcl") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(stderr), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./cmd/sluice -run TestBrokenPipelines -update to create it)", err)
			}
			if stderr != string(want) {
				t.Errorf("diagnostics differ from %s:\n--- got\n%s\n--- want\n%s", golden, stderr, want)
			}
			for _, line := range strings.Split(stderr, "\n") {
				if strings.HasPrefix(line, "Error: ") {
					return
				}
			}
			t.Error("no error was reported")
		})
	}
}

const segmentPipeline = `
variable "input" {}
variable "output" {}

source "csv" "segment" { path = var.input }

transform "filter" "active" {
  input = source.segment
  where = "is_active && lifetime_value > 100"
}

transform "map" "normalize" {
  input   = transform.active
  columns = { email = "lower(trim(email))" }
  rejects = sink.rejects
}

sink "jsonl" "out" {
  input = transform.normalize
  path  = var.output
}

sink "jsonl" "rejects" { path = "%s" }
`

// writeSegment writes rows of the synthetic segment and a pipeline over it.
func writeSegment(t *testing.T, rows int) (dir, pipeline, input string) {
	t.Helper()
	dir = t.TempDir()
	input = filepath.Join(dir, "segment.csv")
	f, err := os.Create(input)
	if err != nil {
		t.Fatal(err)
	}
	if err := segment.Write(f, segment.Options{Rows: rows, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	pipeline = filepath.Join(dir, "pipeline.hcl")
	src := strings.Replace(segmentPipeline, "%s", filepath.ToSlash(filepath.Join(dir, "rejects.jsonl")), 1)
	os.WriteFile(pipeline, []byte(src), 0o644)
	return dir, pipeline, input
}

func TestRunWritesAndSummarises(t *testing.T) {
	dir, pipeline, input := writeSegment(t, 2000)
	out := filepath.Join(dir, "out.jsonl")
	code, stdout, stderr := sluice(context.Background(), "run", pipeline, "--var", "input="+input, "--var", "output="+out, "--json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var summary struct {
		Status string `json:"status"`
		Nodes  []struct {
			Node                                      string
			In, Out, Filtered, Rejected, Deduplicated int64
		} `json:"nodes"`
	}
	if err := json.Unmarshal([]byte(stdout), &summary); err != nil {
		t.Fatalf("--json printed %q: %v", stdout, err)
	}
	if summary.Status != "succeeded" || len(summary.Nodes) != 5 {
		t.Fatalf("summary %+v", summary)
	}
	for _, n := range summary.Nodes {
		if n.In != n.Out+n.Filtered+n.Deduplicated+n.Rejected {
			t.Errorf("%s does not account for every row: %+v", n.Node, n)
		}
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Count(string(data), "\n")
	if sink := summary.Nodes[3]; int64(lines) != sink.Out || lines == 0 {
		t.Errorf("%d lines written, the summary says %d", lines, sink.Out)
	}
	if !strings.Contains(stderr, "Run succeeded in") || !strings.Contains(stderr, "sink.out") {
		t.Errorf("no summary table on stderr:\n%s", stderr)
	}
}

func TestExitCodes(t *testing.T) {
	dir, pipeline, input := writeSegment(t, 100)
	vars := []string{"--var", "input=" + input, "--var", "output=" + filepath.Join(dir, "out.jsonl")}
	if code, stdout, stderr := sluice(context.Background(), append([]string{"validate", pipeline}, vars...)...); code != exitOK || !strings.Contains(stdout, "is valid") {
		t.Errorf("validate: exit %d, %s %s", code, stdout, stderr)
	}
	if code, _, stderr := sluice(context.Background(), "validate", pipeline); code != exitUsage || !strings.Contains(stderr, `No value for required variable`) {
		t.Errorf("validate without variables: exit %d, %s", code, stderr)
	}
	if code, _, _ := sluice(context.Background(), "frobnicate"); code != exitUsage {
		t.Errorf("unknown command: exit %d", code)
	}
	// A run that fails: a row is rejected and there is no rejects sink.
	failing := filepath.Join(dir, "failing.hcl")
	os.WriteFile(failing, []byte(`
source "csv" "segment" { path = "`+filepath.ToSlash(input)+`" }
transform "map" "m" {
  input   = source.segment
  columns = { n = "parseInt(city)" }
}
sink "jsonl" "out" {
  input = transform.m
  path  = "`+filepath.ToSlash(filepath.Join(dir, "failing.jsonl"))+`"
}
`), 0o644)
	code, _, stderr := sluice(context.Background(), "run", failing)
	if code != exitFailed || !strings.Contains(stderr, "Run failed") || strings.Count(stderr, "transform.m rejected a row") != 1 {
		t.Errorf("failing run: exit %d, want %d and the error once:\n%s", code, exitFailed, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "failing.jsonl")); !os.IsNotExist(err) {
		t.Errorf("a failed run left its output file: %v", err)
	}
}

func TestInterruptReportsWhatWasWritten(t *testing.T) {
	dir, pipeline, input := writeSegment(t, 300_000)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(150*time.Millisecond, cancel)
	code, _, stderr := sluice(ctx, "run", pipeline, "--var", "input="+input, "--var", "output="+filepath.Join(dir, "out.jsonl"))
	if code != exitInterrupted {
		t.Fatalf("exit %d, want %d:\n%s", code, exitInterrupted, stderr)
	}
	if !strings.Contains(stderr, "Run interrupted") {
		t.Errorf("no interrupted summary:\n%s", stderr)
	}
}

func TestPluginsAndFunctionsAreDocumented(t *testing.T) {
	code, stdout, _ := sluice(context.Background(), "plugins", "describe", "sink/csv")
	if code != exitOK || !strings.Contains(stdout, `sink "csv"`) || !strings.Contains(stdout, "path (string; required)") || !strings.Contains(stdout, "rejects = sink.<name>") {
		t.Errorf("describe sink/csv: exit %d\n%s", code, stdout)
	}
	code, stdout, _ = sluice(context.Background(), "plugins", "describe", "csv")
	if code != exitOK || !strings.Contains(stdout, `source "csv"`) || !strings.Contains(stdout, `sink "csv"`) {
		t.Errorf("describe csv shows both kinds: exit %d\n%s", code, stdout)
	}
	// Defaults are written as in a pipeline file: strings quoted, numbers and
	// bools bare.
	for _, want := range []string{`delimiter (string; default ",")`, `header (bool; default true)`, `infer_rows (integer; default 10000)`} {
		if !strings.Contains(stdout, want) {
			t.Errorf("describe csv: no %q in\n%s", want, stdout)
		}
	}
	code, stdout, _ = sluice(context.Background(), "functions", "normalizeEmail")
	if code != exitOK || !strings.Contains(stdout, "normalizeEmail(") || !strings.Contains(stdout, "→") {
		t.Errorf("functions normalizeEmail: exit %d\n%s", code, stdout)
	}
	if code, _, _ := sluice(context.Background(), "functions", "noSuchFunction"); code != exitUsage {
		t.Errorf("unknown function: exit %d", code)
	}
}

// TestEmulatorCommandLineMistakesExit2 holds "sluice emulator dynamics" to the
// exit codes every command has: a mistake on its command line is 2, with the
// mistake on stderr, and -h is not a failure.
func TestEmulatorCommandLineMistakesExit2(t *testing.T) {
	badTables := filepath.Join(t.TempDir(), "tables.hcl")
	if err := os.WriteFile(badTables, []byte("table \"contact\" {\n  key \"k\" { columns = [\"no_such_column\"] }\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A flag that does not parse is said once, by the flag package, above the usage.
	if code, stdout, stderr := sluice(context.Background(), "emulator", "dynamics", "--bogus"); code != exitUsage || stdout != "" ||
		strings.Count(stderr, "flag provided but not defined: -bogus") != 1 || !strings.Contains(stderr, "Usage: sluice emulator dynamics") {
		t.Errorf("--bogus: exit %d, stdout %q, stderr %q; want exit %d and the mistake once, with the usage", code, stdout, stderr, exitUsage)
	}
	for _, args := range [][]string{
		{"--limits", "requests=lots"},
		{"--limits", "requests=-5"},
		{"--cost", "request=-1ms"},
		{"--faults", "explode"},
		{"unexpected"},
		{"--tables", "testdata/no-such-tables.hcl"},
		{"--tables", badTables},
	} {
		// were a mistake accepted, the emulator would serve until the timeout and exit 0
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		code, stdout, stderr := sluice(ctx, append([]string{"emulator", "dynamics", "--addr", "127.0.0.1:0"}, args...)...)
		cancel()
		if code != exitUsage || stdout != "" || !strings.Contains(stderr, "sluice: ") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit %d and the mistake on stderr", args, code, stdout, stderr, exitUsage)
		}
	}
	if code, _, stderr := sluice(context.Background(), "emulator", "dynamics", "-h"); code != exitOK || !strings.Contains(stderr, "Usage: sluice emulator dynamics") {
		t.Errorf("-h: exit %d, %s", code, stderr)
	}
}
