package config

import (
	"fmt"
	"os"
	"slices"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// sensitiveMark marks values that came from sensitive variables. Marks
// survive HCL evaluation, so the engine can tell which configuration values
// must never be shown.
const sensitiveMark = "sensitive"

// Variable is a declared input of the pipeline.
type Variable struct {
	Name        string
	Type        cty.Type
	Description string
	Sensitive   bool
	DeclRange   hcl.Range
	// defaultExpr is nil when the variable has no default and must be given.
	defaultExpr hcl.Expression
	// Value is the variable's final value, and Source says where it came
	// from: "--var", "--var-file <path>", "SLUICE_VAR_<name>" or "default".
	Value  cty.Value
	Source string
}

// Inputs are the values given for variables from outside the pipeline files.
type Inputs struct {
	// Vars are --var name=value arguments, in order.
	Vars []string
	// VarFiles are --var-file paths, each holding `name = value` lines.
	VarFiles []string
	// LookupEnv reads the environment: SLUICE_VAR_<name> variables and the
	// env() function. It defaults to os.LookupEnv.
	LookupEnv func(string) (string, bool)
}

func (in Inputs) lookupEnv() func(string) (string, bool) {
	if in.LookupEnv != nil {
		return in.LookupEnv
	}
	return os.LookupEnv
}

// EnvPrefix is the prefix of environment variables that set pipeline
// variables: SLUICE_VAR_region=eu sets var.region.
const EnvPrefix = "SLUICE_VAR_"

var variableSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "type"}, {Name: "default"}, {Name: "description"}, {Name: "sensitive"},
}}

func decodeVariable(block *hcl.Block) (*Variable, hcl.Diagnostics) {
	v := &Variable{Name: block.Labels[0], Type: cty.DynamicPseudoType, DeclRange: block.DefRange}
	content, diags := block.Body.Content(variableSchema)
	if !hclsyntax.ValidIdentifier(v.Name) {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "Invalid variable name",
			Detail:  "A variable name must start with a letter and contain only letters, digits, underscores and dashes.",
			Subject: &block.LabelRanges[0],
		})
	}
	if attr, ok := content.Attributes["type"]; ok {
		ty, ds := typeexpr.TypeConstraint(attr.Expr)
		diags = append(diags, ds...)
		if !ds.HasErrors() {
			v.Type = ty
		}
	}
	if attr, ok := content.Attributes["description"]; ok {
		diags = append(diags, gohcl.DecodeExpression(attr.Expr, nil, &v.Description)...)
	}
	if attr, ok := content.Attributes["sensitive"]; ok {
		diags = append(diags, gohcl.DecodeExpression(attr.Expr, nil, &v.Sensitive)...)
	}
	if attr, ok := content.Attributes["default"]; ok {
		v.defaultExpr = attr.Expr
	}
	return v, diags
}

// evalDefault evaluates the variable's default. It is evaluated only when no
// other value is given, so a default of env("X") does not fail when X is unset
// but the value comes from --var.
func (v *Variable) evalDefault(ctx *hcl.EvalContext) (cty.Value, hcl.Diagnostics) {
	val, diags := v.defaultExpr.Value(ctx)
	if diags.HasErrors() {
		return cty.NilVal, diags
	}
	cv, err := convert.Convert(val, v.Type)
	if err != nil {
		return cty.NilVal, hcl.Diagnostics{{
			Severity: hcl.DiagError, Summary: "Invalid default value for variable",
			Detail:  fmt.Sprintf("The default value of variable %q does not fit its type: %s.", v.Name, err),
			Subject: v.defaultExpr.Range().Ptr(),
		}}
	}
	return cv, nil
}

// assignVariables gives every variable its value, by precedence: --var over
// --var-file over SLUICE_VAR_ over the default. Defaults are evaluated in ctx,
// which offers functions but no variables.
func assignVariables(vars map[string]*Variable, in Inputs, ctx *hcl.EvalContext) hcl.Diagnostics {
	var diags hcl.Diagnostics
	lookup := in.lookupEnv()
	set := func(name, source string, val cty.Value, rng *hcl.Range) {
		v, ok := vars[name]
		if !ok {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Value for undeclared variable",
				Detail:  fmt.Sprintf("%s sets variable %q, but the pipeline declares no such variable.%s", source, name, Suggest(name, keys(vars))),
				Subject: rng,
			})
			return
		}
		cv, err := convert.Convert(val, v.Type)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Invalid value for variable",
				Detail:  fmt.Sprintf("The value %s gives variable %q does not fit its type %s: %s.", source, name, v.Type.FriendlyName(), err),
				Subject: rng,
			})
			return
		}
		v.Value, v.Source = cv, source
	}

	for _, name := range sortedKeys(vars) {
		if raw, ok := lookup(EnvPrefix + name); ok {
			val, ds := parseRawValue(raw, vars[name].Type, EnvPrefix+name)
			diags = append(diags, ds...)
			if !ds.HasErrors() {
				set(name, EnvPrefix+name, val, nil)
			}
		}
	}
	for _, path := range in.VarFiles {
		src, err := os.ReadFile(path)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot read variables file", Detail: err.Error()})
			continue
		}
		f, ds := hclsyntax.ParseConfig(src, path, hcl.InitialPos)
		diags = append(diags, ds...)
		if ds.HasErrors() {
			continue
		}
		attrs, ds := f.Body.JustAttributes()
		diags = append(diags, ds...)
		for _, attr := range sortedAttrs(attrs) {
			val, ds := attr.Expr.Value(nil)
			diags = append(diags, ds...)
			if !ds.HasErrors() {
				set(attr.Name, "--var-file "+path, val, attr.NameRange.Ptr())
			}
		}
	}
	for _, arg := range in.Vars {
		name, raw, ok := cutAssignment(arg)
		if !ok {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Invalid --var argument",
				Detail: fmt.Sprintf("%q is not of the form name=value.", arg),
			})
			continue
		}
		typ := cty.String
		if v, ok := vars[name]; ok {
			typ = v.Type
		}
		val, ds := parseRawValue(raw, typ, "--var "+name)
		diags = append(diags, ds...)
		if !ds.HasErrors() {
			set(name, "--var", val, nil)
		}
	}

	for _, name := range sortedKeys(vars) {
		v := vars[name]
		if v.Value == cty.NilVal && v.defaultExpr != nil {
			val, ds := v.evalDefault(ctx)
			diags = append(diags, ds...)
			v.Value, v.Source = val, "default"
			if ds.HasErrors() {
				v.Value = cty.UnknownVal(v.Type)
			}
		}
		if v.Value == cty.NilVal {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "No value for required variable",
				Detail: fmt.Sprintf("Variable %q has no default, so it must be given: --var %s=…, a --var-file, or the environment variable %s%s.",
					name, name, EnvPrefix, name),
				Subject: v.DeclRange.Ptr(),
			})
			v.Value = cty.UnknownVal(v.Type)
		}
		if v.Sensitive {
			v.Value = v.Value.Mark(sensitiveMark)
		}
	}
	return diags
}

func cutAssignment(arg string) (name, value string, ok bool) {
	for i := 0; i < len(arg); i++ {
		if arg[i] == '=' {
			return arg[:i], arg[i+1:], i > 0
		}
	}
	return "", "", false
}

// parseRawValue reads a variable value given as a string on the command line
// or in the environment: taken literally for string variables, and parsed as
// an HCL expression for other types ([1, 2], {a = "b"}, true).
func parseRawValue(raw string, typ cty.Type, source string) (cty.Value, hcl.Diagnostics) {
	if typ == cty.String || typ == cty.DynamicPseudoType {
		return cty.StringVal(raw), nil
	}
	expr, diags := hclsyntax.ParseExpression([]byte(raw), source, hcl.InitialPos)
	var val cty.Value
	if !diags.HasErrors() {
		val, diags = expr.Value(nil)
	}
	if diags.HasErrors() {
		return cty.NilVal, hcl.Diagnostics{{
			Severity: hcl.DiagError, Summary: "Invalid value for variable",
			Detail: fmt.Sprintf("The value %q given by %s is not a valid %s. Write it as in a pipeline file: 42, true, [\"a\", \"b\"] or { key = \"value\" }.",
				raw, source, typ.FriendlyName()),
		}}
	}
	return val, nil
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := keys(m)
	sort.Strings(out)
	return out
}

func sortedAttrs(attrs hcl.Attributes) []*hcl.Attribute {
	out := make([]*hcl.Attribute, 0, len(attrs))
	for _, a := range attrs {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b *hcl.Attribute) int { return a.Range.Start.Byte - b.Range.Start.Byte })
	return out
}
