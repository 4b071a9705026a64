package plan_test

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/sluicedata/sluice/engine/config"
	"github.com/sluicedata/sluice/engine/plan"
	"github.com/sluicedata/sluice/engine/redact"
	"github.com/sluicedata/sluice/engine/registry"
	"github.com/sluicedata/sluice/plugins/filter"
	"github.com/sluicedata/sluice/plugins/mapper"
	memplugin "github.com/sluicedata/sluice/plugins/memory"
	"github.com/sluicedata/sluice/sdk"

	"github.com/apache/arrow-go/v18/arrow"
)

type secretConfig struct {
	Table string `sluice:"table,required"`
	Key   string `sluice:"key,sensitive"`
}

var secretSink = sdk.SinkPlugin(sdk.Info{Name: "secret", Writes: sdk.WritePolicy{MaxRows: 100, MaxInFlight: 2}}, func(c secretConfig) (sdk.Sink, error) {
	return nil, sdk.Errorf(sdk.Path{"key"}, "key %q is wrong", c.Key)
})

func newPlan(t *testing.T, src string, redactor *redact.Redactor) (*plan.Plan, hcl.Diagnostics) {
	t.Helper()
	store := memplugin.NewStore()
	store.Put("in", arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64}}, nil))
	reg, err := registry.New(append(store.Plugins(), filter.Transform, mapper.Transform, secretSink)...)
	if err != nil {
		t.Fatal(err)
	}
	cfg, diags := config.Parse(map[string][]byte{"p.hcl": []byte(src)}, config.Inputs{LookupEnv: func(string) (string, bool) { return "", false }})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	pl, diags := plan.New(context.Background(), cfg, plan.Options{Registry: reg, Redactor: redactor})
	if pl != nil {
		t.Cleanup(func() { pl.Close(context.Background()) })
	}
	return pl, diags
}

func messages(diags hcl.Diagnostics) string {
	var out []string
	for _, d := range diags {
		pos := ""
		if d.Subject != nil {
			pos = d.Subject.String() + " "
		}
		out = append(out, pos+d.Summary+": "+d.Detail)
	}
	return strings.Join(out, "\n")
}

func expect(t *testing.T, diags hcl.Diagnostics, wants ...string) {
	t.Helper()
	got := messages(diags)
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("missing %q in:\n%s", w, got)
		}
	}
}

func TestPlanOrdersNodesAndPropagatesSchemas(t *testing.T) {
	pl, diags := newPlan(t, `
sink "memory" "out" {
  input = transform.m
  table = "out"
}
transform "map" "m" {
  input   = transform.f
  columns = { y = "x * 2", s = "string(x)" }
}
transform "filter" "f" {
  input = source.in
  where = "x > 0"
}
source "memory" "in" { table = "in" }
`, nil)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	var order []string
	for _, n := range pl.Nodes {
		order = append(order, n.Address())
	}
	if strings.Join(order, " ") != "source.in transform.f transform.m sink.out" {
		t.Errorf("order %v", order)
	}
	out := pl.Nodes[3]
	if out.In.String() != pl.Nodes[2].Out.String() || pl.Nodes[2].Out.NumFields() != 3 {
		t.Errorf("schemas: %v / %v", out.In, pl.Nodes[2].Out)
	}
	if out.Writes.Rows != 0 || out.Writes.Bytes != 0 || out.Writes.InFlight != 1 {
		t.Errorf("write policy %+v, want batches of any size, one at a time", out.Writes)
	}
}

func TestPlanReportsGraphMistakes(t *testing.T) {
	_, diags := newPlan(t, `
source "memory" "in" { table = "in" }
transform "filter" "a" {
  input = transform.b
  where = "true"
}
transform "filter" "b" {
  input = transform.a
  where = "true"
}
sink "memory" "r" {
  input = source.in
  table = "r"
}
transform "filter" "c" {
  input   = source.in
  where   = "true"
  rejects = sink.r
}
sink "memory" "orphan" { table = "o" }
sink "memory" "o2" {
  input = transform.c
  table = "o2"
}
transform "nope" "d" { input = source.in }
sink "memory" "x" {
  input = source.inn
  table = "x"
}
`, nil)
	expect(t, diags,
		"Cycle in pipeline",
		"A rejects sink cannot have an input",
		"p.hcl:20,26-26 Missing input: A sink needs an input",
		`Unknown transform plugin "nope"`,
		`There is no source named "inn" in this pipeline. Did you mean "in"?`,
	)
}

func TestPlanChecksWritePolicy(t *testing.T) {
	_, diags := newPlan(t, `
source "memory" "in" { table = "in" }
sink "secret" "s" {
  input         = source.in
  table         = "t"
  key           = "the-key-value"
  max_in_flight = 3
  batch { rows = 101 }
}
`, redact.New())
	expect(t, diags, "Batch too large: The secret sink writes at most 100 rows per batch.", "at most 2 writes in flight")
}

func TestPlanRegistersSensitiveAttributes(t *testing.T) {
	r := redact.New()
	_, diags := newPlan(t, `
source "memory" "in" { table = "in" }
sink "secret" "s" {
  input = source.in
  table = "t"
  key   = "the-key-value"
}
`, r)
	// The plugin's own diagnostic quotes the secret; the plan learned it is
	// one, so whatever prints the diagnostic can redact it.
	expect(t, diags, "p.hcl:6,11-26 key \"the-key-value\" is wrong")
	if got := r.String(messages(diags)); strings.Contains(got, "the-key-value") {
		t.Errorf("not redacted: %s", got)
	}
}

func TestPlanWarnsAboutUnusedNodes(t *testing.T) {
	_, diags := newPlan(t, `
source "memory" "in" { table = "in" }
source "memory" "spare" { table = "in" }
sink "memory" "out" {
  input = source.in
  table = "out"
}
`, nil)
	if diags.HasErrors() || !strings.Contains(messages(diags), "Nothing reads source.spare") {
		t.Errorf("diagnostics: %s", messages(diags))
	}
}
