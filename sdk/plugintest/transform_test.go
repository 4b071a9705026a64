package plugintest_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sluicedata/sluice/sdk"
	"github.com/sluicedata/sluice/sdk/plugintest"
)

// brokenEnv names the broken transform a child test process runs the suite
// on.
const brokenEnv = "PLUGINTEST_BROKEN"

// TestMain runs, in a child process, the suite on a broken transform: its
// failures are what TestSuiteCatchesBrokenTransforms checks.
func TestMain(m *testing.M) {
	if mode := os.Getenv(brokenEnv); mode != "" {
		testing.Main(func(string, string) (bool, error) { return true, nil },
			[]testing.InternalTest{{Name: "TestBroken", F: func(t *testing.T) { suite(t, mode) }}}, nil, nil)
	}
	os.Exit(m.Run())
}

// The suite fails transforms that break the contract of Keep and
// sdk.Projector, saying how.
func TestSuiteCatchesBrokenTransforms(t *testing.T) {
	for mode, want := range map[string]string{
		"reads-unnamed":  "in-process/Transform/Process.*reads a column Columns\\(\\) does not name",
		"copies-passed":  `is not input column "name" passed on unchanged`,
		"keeps-rejected": "a rejected row must be false in Keep",
		"good":           "",
	} {
		cmd := exec.Command(os.Args[0], "-test.v")
		cmd.Env = append(os.Environ(), brokenEnv+"="+mode)
		out, err := cmd.CombinedOutput()
		text := strings.ReplaceAll(string(out), "\n", " ")
		switch {
		case want == "" && err != nil:
			t.Errorf("%s: the suite failed a good transform:\n%s", mode, out)
		case want == "":
		case err == nil:
			t.Errorf("%s: the suite passed a broken transform:\n%s", mode, out)
		case !matches(want, text):
			t.Errorf("%s: the suite failed, but without saying %q:\n%s", mode, want, out)
		}
	}
}

func matches(pattern, text string) bool {
	parts := strings.Split(pattern, ".*")
	for _, p := range parts {
		p = strings.ReplaceAll(p, `\(`, "(")
		p = strings.ReplaceAll(p, `\)`, ")")
		i := strings.Index(text, p)
		if i < 0 {
			return false
		}
		text = text[i+len(p):]
	}
	return true
}

func suite(t *testing.T, mode string) {
	plugintest.Transform(t, plugintest.TransformSuite{
		Common: plugintest.Common{
			Plugin: sdk.TransformPlugin(sdk.Info{Name: "broken"}, func(c brokenConfig) (sdk.Transform, error) {
				return &broken{mode: c.Mode}, nil
			}),
			Config:     `mode = "` + mode + `"`,
			BadConfigs: []plugintest.BadConfig{{HCL: `mode = 1 + "x"`}},
		},
		Input: plugintest.SampleBatches,
	})
}

type brokenConfig struct {
	Mode string `sluice:"mode,required"`
}

// broken keeps the rows whose id is even, as a Projector that reads id and
// passes every column on; each mode breaks one rule.
type broken struct {
	mode string
	mem  memory.Allocator
}

func (b *broken) Open(_ context.Context, h sdk.Host, in *arrow.Schema) (*arrow.Schema, error) {
	b.mem = h.Allocator()
	return in, nil
}

func (b *broken) Columns() ([]string, []int) { return []string{"id"}, []int{0, 1, 2, 3} }

func (b *broken) Process(_ context.Context, in arrow.RecordBatch) (sdk.Result, error) {
	ids, names := in.Column(0).(*array.Int64), in.Column(1)
	keep := array.NewBooleanBuilder(b.mem)
	defer keep.Release()
	var res sdk.Result
	for i := range ids.Len() {
		k := ids.Value(i)%2 == 0
		switch b.mode {
		case "reads-unnamed":
			k = k && names.IsValid(i) // name is not among the columns read
		case "keeps-rejected":
			if i == 0 {
				res.Rejects = append(res.Rejects, sdk.RowError{Row: 0, Code: "broken", Message: "the first row"})
				keep.Append(true)
				continue
			}
		}
		if !k {
			res.Filtered++
		}
		keep.Append(k)
	}
	if b.mode != "copies-passed" {
		res.Keep = keep.NewBooleanArray()
		return res, nil
	}
	// An aligned Out with a copy of a column it says it passes on.
	copied, err := array.Concatenate([]arrow.Array{names}, b.mem)
	if err != nil {
		return sdk.Result{}, err
	}
	defer copied.Release()
	cols := append([]arrow.Array(nil), in.Columns()...)
	cols[1] = copied
	return sdk.Result{Out: array.NewRecordBatch(in.Schema(), cols, in.NumRows())}, nil
}

func (b *broken) Close(context.Context) error { return nil }
