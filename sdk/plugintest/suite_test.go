package plugintest_test

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// The suite's checks are tested the only way that shows they fail a
// plugin: by running the suite, in a child process of this test binary,
// on a plugin built to break one rule, and reading which cases failed and
// what they said. A correct twin of each broken plugin must pass, so that a
// check that fails everything does not pass for one that works.

// scenarioEnv names the scenario a child test process runs.
const scenarioEnv = "PLUGINTEST_BROKEN"

// scenarios are the suite runs a child can make, by name: "<kind>/<mode>",
// the mode naming the rule the plugin breaks, or "good".
var scenarios = map[string]func(t *testing.T){}

// scenario registers the suite run of each mode under kind/mode.
func scenario(kind string, run func(t *testing.T, mode string), modes ...string) {
	for _, m := range modes {
		scenarios[kind+"/"+m] = func(t *testing.T) { run(t, m) }
	}
}

// TestMain runs, in a child process, the scenario scenarioEnv names.
func TestMain(m *testing.M) {
	if name := os.Getenv(scenarioEnv); name != "" {
		run, ok := scenarios[name]
		if !ok {
			run = func(t *testing.T) { t.Fatalf("no scenario %q", name) }
		}
		testing.Main(func(string, string) (bool, error) { return true, nil },
			[]testing.InternalTest{{Name: "TestBroken", F: run}}, nil, nil)
	}
	os.Exit(m.Run())
}

// outcome is what a child's run of the suite said.
type outcome struct {
	name   string
	ok     bool              // the run passed
	failed map[string]bool   // the cases that failed, "grpc/Source/Resume"
	logs   map[string]string // what each case logged
	out    string
}

// runScenario runs a scenario in a child process and reads its verbose
// output: each line a case logs follows the "=== RUN" or "=== NAME" line
// of that case, and "--- FAIL" lines name the cases that failed.
func runScenario(t *testing.T, name string) *outcome {
	t.Helper()
	if _, ok := scenarios[name]; !ok {
		t.Fatalf("no scenario %q", name)
	}
	cmd := exec.Command(os.Args[0], "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), scenarioEnv+"="+name)
	out, err := cmd.CombinedOutput()
	o := &outcome{name: name, ok: err == nil, failed: map[string]bool{}, logs: map[string]string{}, out: string(out)}
	if _, exited := err.(*exec.ExitError); err != nil && !exited {
		t.Fatalf("%s: %v", name, err)
	}
	const parent = "TestBroken/"
	current := ""
	for _, line := range strings.Split(o.out, "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "=== RUN"), strings.HasPrefix(line, "=== NAME"), strings.HasPrefix(line, "=== CONT"):
			if f := strings.Fields(line); len(f) >= 3 {
				current = strings.TrimPrefix(f[2], parent)
			}
		case strings.HasPrefix(trimmed, "--- FAIL: "+parent):
			c, _, _ := strings.Cut(strings.TrimPrefix(trimmed, "--- FAIL: "+parent), " ")
			o.failed[c] = true
		case strings.HasPrefix(trimmed, "--- "):
		default:
			o.logs[current] += line + "\n"
		}
	}
	return o
}

// fails checks that each case in cases failed, and said something that
// matches pattern.
func (o *outcome) fails(t *testing.T, pattern string, cases ...string) {
	t.Helper()
	re := regexp.MustCompile(pattern)
	for _, c := range cases {
		switch {
		case !o.failed[c]:
			t.Errorf("%s: the suite did not fail %s, as it should have saying %q:\n%s", o.name, c, pattern, o.out)
		case !re.MatchString(o.logs[c]):
			t.Errorf("%s: the suite failed %s, but without saying %q:\n%s", o.name, c, pattern, o.logs[c])
		}
	}
}

// passes checks that the run passed.
func (o *outcome) passes(t *testing.T) {
	t.Helper()
	if !o.ok {
		t.Errorf("%s: the suite failed a plugin that keeps the rules:\n%s", o.name, o.out)
	}
}

// passesCases checks that these cases passed, in a run that may fail
// others.
func (o *outcome) passesCases(t *testing.T, cases ...string) {
	t.Helper()
	for _, c := range cases {
		if o.failed[c] {
			t.Errorf("%s: the suite failed %s:\n%s", o.name, c, o.logs[c])
		}
	}
}

// both is a case in both modes.
func both(c string) []string { return []string{"in-process/" + c, "grpc/" + c} }

// otherCases skips every case but those kept, for scenarios whose plugin
// only works for those.
func otherCases(reason string, keep ...string) map[string]string {
	skip := map[string]string{}
	for _, c := range []string{
		"Config/Good", "Config/Bad", "Lifecycle/OpenClose", "Lifecycle/CloseTwice", "Lifecycle/CloseWithoutOpen",
		"Lifecycle/CancelDuringOpen", "Lifecycle/Claims", "Source/Read", "Source/Resume", "Transform/Process", "Transform/Deterministic",
		"Transform/CancelInFlight", "Sink/WriteReadBack", "Sink/Idempotent", "Sink/PartialFailure",
	} {
		skip[c] = reason
	}
	for _, c := range keep {
		delete(skip, c)
	}
	return skip
}
