package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/sluicedata/sluice/engine/config"
	"github.com/sluicedata/sluice/sdk"
)

func env(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
}

func parse(t *testing.T, src string, in config.Inputs) (*config.Pipeline, hcl.Diagnostics) {
	t.Helper()
	if in.LookupEnv == nil {
		in.LookupEnv = env(nil)
	}
	return config.Parse(map[string][]byte{"p.hcl": []byte(src)}, in)
}

// text joins every diagnostic's message, one per line.
func text(diags hcl.Diagnostics) string {
	var lines []string
	for _, d := range diags {
		lines = append(lines, d.Error())
	}
	return strings.Join(lines, "\n")
}

func mustParse(t *testing.T, src string, in config.Inputs) *config.Pipeline {
	t.Helper()
	p, diags := parse(t, src, in)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return p
}

const sinkBlock = `
sink "x" "out" { input = source.s }
source "x" "s" {}
`

func TestVariablePrecedence(t *testing.T) {
	dir := t.TempDir()
	varFile := filepath.Join(dir, "prod.vars")
	os.WriteFile(varFile, []byte(`region = "from-file"
rows = 7`), 0o644)
	src := `
variable "region" { default = "from-default" }
variable "rows" {
  type    = number
  default = 1
}
variable "tags" {
  type    = list(string)
  default = []
}
` + sinkBlock
	cases := []struct {
		in         config.Inputs
		region     string
		rows       int64
		regionFrom string
	}{
		{config.Inputs{}, "from-default", 1, "default"},
		{config.Inputs{LookupEnv: env(map[string]string{"SLUICE_VAR_region": "from-env", "SLUICE_VAR_rows": "3"})}, "from-env", 3, "SLUICE_VAR_region"},
		{config.Inputs{VarFiles: []string{varFile}, LookupEnv: env(map[string]string{"SLUICE_VAR_region": "from-env"})}, "from-file", 7, "--var-file " + varFile},
		{config.Inputs{Vars: []string{"region=from-flag", "rows=9"}, VarFiles: []string{varFile}}, "from-flag", 9, "--var"},
	}
	for _, c := range cases {
		p := mustParse(t, src, c.in)
		v := p.Variables["region"]
		if v.Value.AsString() != c.region || v.Source != c.regionFrom {
			t.Errorf("region = %v from %q, want %q from %q", v.Value, v.Source, c.region, c.regionFrom)
		}
		if n, _ := p.Variables["rows"].Value.AsBigFloat().Int64(); n != c.rows {
			t.Errorf("rows = %d, want %d", n, c.rows)
		}
	}
	p := mustParse(t, src, config.Inputs{Vars: []string{`tags=["a", "b"]`}})
	if p.Variables["tags"].Value.LengthInt() != 2 {
		t.Errorf("tags = %v", p.Variables["tags"].Value)
	}
}

func TestVariableMistakes(t *testing.T) {
	src := `
variable "needed" {}
variable "n" { type = number }
` + sinkBlock
	_, diags := parse(t, src, config.Inputs{Vars: []string{"n=many", "nope=1", "broken"}})
	text := text(diags)
	for _, want := range []string{
		`No value for required variable; Variable "needed" has no default, so it must be given: --var needed=…`,
		`Value for undeclared variable; --var sets variable "nope"`,
		`Invalid --var argument; "broken" is not of the form name=value.`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("missing %q in %s", want, text)
		}
	}
	if !strings.Contains(text, `The value "many" given by --var n is not a valid number`) {
		t.Errorf("no diagnostic for n=many: %s", text)
	}
}

func TestEnvAndFileFunctions(t *testing.T) {
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "query.sql")
	os.WriteFile(secretFile, []byte("SELECT 1"), 0o644)
	src := `
variable "url" { default = env("URL") }
variable "fallback" { default = env("MISSING", "fb") }
variable "q" { default = file("` + filepath.ToSlash(secretFile) + `") }
variable "unset" { default = env("UNSET") }
` + sinkBlock
	p, diags := parse(t, src, config.Inputs{LookupEnv: env(map[string]string{"URL": "https://x"}), Vars: []string{"unset=given"}})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	got := map[string]string{}
	for name, v := range p.Variables {
		got[name] = v.Value.AsString()
	}
	want := map[string]string{"url": "https://x", "fallback": "fb", "q": "SELECT 1", "unset": "given"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	_, diags = parse(t, `variable "u" { default = env("UNSET") }`+sinkBlock, config.Inputs{})
	if !strings.Contains(diags.Error(), "environment variable UNSET is not set") {
		t.Errorf("unset env without fallback: %v", diags)
	}
}

func TestLocalsInDependencyOrderAndCycles(t *testing.T) {
	p := mustParse(t, `
variable "env" { default = "prod" }
locals {
  c = "${local.b}-c"
  a = upper(var.env)
}
locals {
  b = "${local.a}-b"
}
`+sinkBlock, config.Inputs{})
	if got := p.Locals["c"].AsString(); got != "PROD-b-c" {
		t.Errorf("c = %q", got)
	}
	_, diags := parse(t, `
locals {
  a = local.b
  b = local.a
  c = local.nope
}
`+sinkBlock, config.Inputs{})
	if !strings.Contains(text(diags), "Cycle in local values") || !strings.Contains(text(diags), `no local value named "nope"`) {
		t.Errorf("diagnostics: %v", diags)
	}
}

func TestNodesAndReferences(t *testing.T) {
	p := mustParse(t, `
source "csv" "segment" { path = "a.csv" }
transform "filter" "active" {
  input       = source.segment
  where       = "x"
  rejects     = sink.rejects
  max_rejects = 10
}
sink "jsonl" "out" {
  input         = transform.active
  max_in_flight = 4
  batch {
    rows  = 500
    bytes = "4MiB"
  }
}
sink "jsonl" "rejects" {}
`, config.Inputs{})
	if len(p.Nodes) != 4 {
		t.Fatalf("%d nodes", len(p.Nodes))
	}
	f := p.Node("transform.active")
	if f.Plugin != "filter" || f.Input.Address() != "source.segment" || f.Rejects.Address() != "sink.rejects" || f.MaxRejects != 10 {
		t.Errorf("transform: %+v", f)
	}
	out := p.Node("sink.out")
	if out.Batch.Rows != 500 || out.Batch.Bytes != 4<<20 || out.MaxInFlight != 4 {
		t.Errorf("sink: %+v", out)
	}
	if p.Node("source.segment").MaxRejects != -1 {
		t.Error("max_rejects should default to no limit")
	}
	// The plugin's own attributes stay in the body for the planner.
	attrs, _ := f.Body.JustAttributes()
	if _, ok := attrs["where"]; !ok || len(attrs) != 1 {
		t.Errorf("remaining attributes: %v", attrs)
	}
}

func TestNodeMistakes(t *testing.T) {
	_, diags := parse(t, `
source "csv" "s" { input = source.x }
transform "filter" "t" {}
transform "filter" "t" { input = "source.s" }
sink "csv" "o" {
  input = transform.t
  batch { rows = 0 }
}
transform "map" "m" {
  input = source.s
  batch { rows = 1 }
  max_in_flight = 2
}
`, config.Inputs{})
	text := text(diags)
	for _, want := range []string{
		`Unexpected attribute "input"; A source has no input`,
		`Missing input; A transform needs an input`,
		`Duplicate transform "t"`,
		`Invalid batch size; rows must be at least 1.`,
		`Unexpected batch block; Only sinks`,
		`Unexpected attribute "max_in_flight"`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("missing %q in:\n%s", want, text)
		}
	}
}

func TestSensitiveValues(t *testing.T) {
	p := mustParse(t, `
variable "secret" {
  default   = "hunter2-secret"
  sensitive = true
}
variable "plain" { default = "visible" }
`+sinkBlock, config.Inputs{})
	if got := p.SensitiveValues(); len(got) != 1 || got[0] != "hunter2-secret" {
		t.Errorf("sensitive values: %v", got)
	}
	if !p.Variables["secret"].Value.HasMark("sensitive") {
		t.Error("a sensitive variable's value is not marked")
	}
}

func TestDiagnosticPathsResolveToSource(t *testing.T) {
	p := mustParse(t, `source "csv" "s" {
  columns = {
    email = "lower(emial)"
  }
  mapping {
    firstname = "first"
  }
  rule "email" {
    equals = { a = "x" }
  }
}
sink "x" "out" { input = source.s }
`, config.Inputs{})
	n := p.Node("source.s")
	cases := []struct {
		path sdk.Path
		pos  *sdk.Pos
		want string
	}{
		{sdk.Path{"columns", "email"}, &sdk.Pos{Line: 1, Column: 7}, "p.hcl:3,20-21"},
		{sdk.Path{"columns", "email"}, nil, "p.hcl:3,13-27"},
		{sdk.Path{"mapping", "firstname"}, nil, "p.hcl:6,17-24"},
		{sdk.Path{"rule", "email", "equals", "a"}, nil, "p.hcl:9,20-23"},
		{sdk.Path{"nowhere"}, nil, "p.hcl:1,1-17"},
	}
	for _, c := range cases {
		d := n.Diagnostic(sdk.Diagnostic{Summary: "x", Path: c.path, Pos: c.pos})
		if got := d.Subject.String(); got != c.want {
			t.Errorf("%v %+v: %s, want %s", c.path, c.pos, got, c.want)
		}
	}
}

func TestByteSizes(t *testing.T) {
	for in, want := range map[string]int64{"512": 512, "8MiB": 8 << 20, "1.5 KiB": 1536, "10MB": 10_000_000, "64kB": 64_000} {
		n, err := config.ParseByteSize(cty.StringVal(in))
		if err != nil || n != want {
			t.Errorf("%q: %d, %v; want %d", in, n, err, want)
		}
	}
	for _, bad := range []string{"", "-1MiB", "lots"} {
		if _, err := config.ParseByteSize(cty.StringVal(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
