package sdk_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/sluicedata/sluice/sdk"
)

type authConfig struct {
	TenantID     string `sluice:"tenant_id,required" doc:"Tenant."`
	ClientSecret string `sluice:"client_secret,sensitive"`
}

type ruleConfig struct {
	Name   string              `sluice:"name,label"`
	Equals map[string]sdk.Expr `sluice:"equals,required"`
}

type testConfig struct {
	Path      string            `sluice:"path,required" doc:"Where." example:"\"a.csv\""`
	Delimiter string            `sluice:"delimiter" default:","`
	Rows      int               `sluice:"rows" default:"500"`
	Ratio     float64           `sluice:"ratio"`
	Strict    bool              `sluice:"strict" default:"true"`
	Timeout   time.Duration     `sluice:"timeout" default:"30s"`
	Where     sdk.Expr          `sluice:"where"`
	Tags      []string          `sluice:"tags"`
	Labels    map[string]string `sluice:"labels"`
	Auth      *authConfig       `sluice:"auth,block"`
	Rules     []ruleConfig      `sluice:"rule,block"`
	Mapping   map[string]any    `sluice:"mapping,block"`
	ignored   string
}

func decode(t *testing.T, src string) (testConfig, error) {
	t.Helper()
	schema, err := sdk.SchemaOf(reflect.TypeFor[testConfig]())
	if err != nil {
		t.Fatal(err)
	}
	f, diags := hclsyntax.ParseConfig([]byte(src), "test.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	v, diags := schema.DecodeBody(f.Body, nil)
	if diags.HasErrors() {
		return testConfig{}, diags
	}
	var cfg testConfig
	return cfg, sdk.DecodeConfig(schema, v, &cfg)
}

func TestSchemaOfDescribesTheStruct(t *testing.T) {
	s, err := sdk.SchemaOf(reflect.TypeFor[testConfig]())
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Attributes) != 9 || len(s.Blocks) != 3 {
		t.Fatalf("got %d attributes and %d blocks", len(s.Attributes), len(s.Blocks))
	}
	path := s.Attribute("path")
	if !path.Required || path.Doc != "Where." || path.Example != `"a.csv"` || path.Type.String() != "string" {
		t.Errorf("path attribute: %+v", path)
	}
	for name, want := range map[string]string{
		"rows": "integer", "ratio": "number", "strict": "bool", "timeout": "duration",
		"where": "expression", "tags": "list(string)", "labels": "map(string)",
	} {
		if got := s.Attribute(name).Type.String(); got != want {
			t.Errorf("%s: type %s, want %s", name, got, want)
		}
	}
	if a := s.Block("auth"); a.Repeated || a.Body.Attribute("client_secret") == nil || !a.Body.Attribute("client_secret").Sensitive {
		t.Errorf("auth block: %+v", a)
	}
	if r := s.Block("rule"); !r.Repeated || len(r.Labels) != 1 || r.Labels[0] != "name" {
		t.Errorf("rule block: %+v", r)
	}
	if m := s.Block("mapping"); m.Attrs == nil || m.Attrs.Kind != sdk.TypeAny {
		t.Errorf("mapping block: %+v", m)
	}
}

func TestSchemaOfRejectsBadStructs(t *testing.T) {
	cases := map[string]any{
		"reserved name": struct {
			In string `sluice:"input"`
		}{},
		"bad name": struct {
			X string `sluice:"Bad-Name"`
		}{},
		"unsupported type": struct {
			C chan int `sluice:"c"`
		}{},
		"unknown option": struct {
			X string `sluice:"x,optional"`
		}{},
		"bad default": struct {
			N int `sluice:"n" default:"many"`
		}{},
		"required+default": struct {
			N int `sluice:"n,required" default:"1"`
		}{},
		"duplicate name": struct {
			A, B string `sluice:"a"`
		}{},
		"label at top": struct {
			L string `sluice:"l,label"`
		}{},
		"unlabelled single": struct {
			B struct {
				L string `sluice:"l,label"`
			} `sluice:"b,block"`
		}{},
	}
	for name, v := range cases {
		if _, err := sdk.SchemaOf(reflect.TypeOf(v)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestDecodeFillsDefaultsAndPaths(t *testing.T) {
	cfg, err := decode(t, `
path  = "a.csv"
ratio = 0.5
where = "x > 1"
tags  = ["a", "b"]
labels = { team = "crm" }
auth {
  tenant_id = "t1"
}
rule "email" { equals = { emailaddress1 = "lower(email)" } }
rule "name"  { equals = { firstname = "first" } }
mapping {
  firstname  = "first_name"
  telephone1 = { value = "a ?? b", update = "if_empty" }
  count      = 3
}
`)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Path != "a.csv" || cfg.Delimiter != "," || cfg.Rows != 500 || cfg.Ratio != 0.5 || !cfg.Strict || cfg.Timeout != 30*time.Second {
		t.Errorf("scalars: %+v", cfg)
	}
	if cfg.Where.Text != "x > 1" || cfg.Where.Path.String() != "where" {
		t.Errorf("where: %+v", cfg.Where)
	}
	if strings.Join(cfg.Tags, ",") != "a,b" || cfg.Labels["team"] != "crm" {
		t.Errorf("collections: %v %v", cfg.Tags, cfg.Labels)
	}
	if cfg.Auth == nil || cfg.Auth.TenantID != "t1" {
		t.Errorf("auth: %+v", cfg.Auth)
	}
	if len(cfg.Rules) != 2 || cfg.Rules[0].Name != "email" || cfg.Rules[1].Name != "name" {
		t.Fatalf("rules: %+v", cfg.Rules)
	}
	if e := cfg.Rules[0].Equals["emailaddress1"]; e.Text != "lower(email)" || e.Path.String() != "rule.email.equals.emailaddress1" {
		t.Errorf("rule expression: %+v", e)
	}
	tel, ok := cfg.Mapping["telephone1"].(map[string]any)
	if cfg.Mapping["firstname"] != "first_name" || !ok || tel["update"] != "if_empty" || cfg.Mapping["count"] != 3 {
		t.Errorf("mapping: %#v", cfg.Mapping)
	}
}

func TestDecodeReportsMistakesWithRanges(t *testing.T) {
	_, err := decode(t, `
pathh  = "a.csv"
rows   = "many"
auth {}
rule "x" {
  equals = {}
}
rule "x" {
  equals = {}
}
`)
	var diags hcl.Diagnostics
	if !errors.As(err, &diags) {
		t.Fatalf("expected hcl diagnostics, got %v", err)
	}
	var got []string
	for _, d := range diags {
		got = append(got, d.Subject.String()+" "+d.Summary)
	}
	want := []string{
		`test.hcl:2,1-6 Unsupported argument`,
		`test.hcl:1,1-1 Missing required argument`,
		`test.hcl:3,10-16 Incorrect attribute value type`,
		`test.hcl:4,6-6 Missing required argument`,
		`test.hcl:8,6-9 Duplicate rule block`,
	}
	for _, w := range want {
		found := false
		for _, g := range got {
			if strings.HasPrefix(g, w) {
				found = true
			}
		}
		if !found {
			t.Errorf("missing diagnostic %q in\n%s", w, strings.Join(got, "\n"))
		}
	}
}

func TestDecodeConfigReportsFieldProblemsAtTheirPath(t *testing.T) {
	_, err := decode(t, `
path    = "a"
rows    = 1.5
timeout = "soon"
`)
	var diags sdk.Diagnostics
	if !errors.As(err, &diags) || len(diags) != 2 {
		t.Fatalf("expected two sdk diagnostics, got %v", err)
	}
	if diags[0].Path.String() != "rows" || diags[1].Path.String() != "timeout" {
		t.Errorf("paths: %v, %v", diags[0].Path, diags[1].Path)
	}
}

func TestPluginNewDecodesAndBuilds(t *testing.T) {
	type cfg struct {
		Column string `sluice:"column,required"`
	}
	p := sdk.TransformPlugin(sdk.Info{Name: "upper"}, func(c cfg) (sdk.Transform, error) {
		if c.Column == "" {
			return nil, sdk.Errorf(sdk.Path{"column"}, "must not be empty")
		}
		return nil, errors.New("built " + c.Column)
	})
	if p.Kind() != sdk.KindTransform || p.Schema().Attribute("column") == nil {
		t.Fatalf("kind %s, schema %+v", p.Kind(), p.Schema())
	}
	_, err := p.New(context.Background(), cty.ObjectVal(map[string]cty.Value{"column": cty.StringVal("email")}))
	if err == nil || err.Error() != "built email" {
		t.Errorf("New: %v", err)
	}
	_, err = p.New(context.Background(), cty.ObjectVal(map[string]cty.Value{"column": cty.StringVal("")}))
	if ds := sdk.AsDiagnostics(err); len(ds) != 1 || ds[0].Path.String() != "column" {
		t.Errorf("diagnostic: %v", err)
	}
}

func TestPluginNamesAreChecked(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("a plugin named Bad-Name was accepted")
		}
	}()
	sdk.SinkPlugin(sdk.Info{Name: "Bad-Name"}, func(struct{}) (sdk.Sink, error) { return nil, nil })
}
