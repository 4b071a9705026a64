package config

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// evalLocals evaluates every attribute of the locals blocks, each after the
// locals it refers to.
func (p *Pipeline) evalLocals(blocks hcl.Blocks, ctx *hcl.EvalContext) hcl.Diagnostics {
	var diags hcl.Diagnostics
	attrs := map[string]*hcl.Attribute{}
	for _, b := range blocks {
		as, ds := b.Body.JustAttributes()
		diags = append(diags, ds...)
		for name, a := range as {
			if prev, dup := attrs[name]; dup {
				diags = append(diags, duplicate("local value", name, a.NameRange, prev.NameRange))
				continue
			}
			attrs[name] = a
		}
	}

	const (
		unvisited = iota
		visiting
		done
	)
	state := map[string]int{}
	var visit func(name string) hcl.Diagnostics
	visit = func(name string) hcl.Diagnostics {
		a := attrs[name]
		switch state[name] {
		case done:
			return nil
		case visiting:
			return hcl.Diagnostics{{
				Severity: hcl.DiagError, Summary: "Cycle in local values",
				Detail:  fmt.Sprintf("local.%s refers to itself, through other local values.", name),
				Subject: a.NameRange.Ptr(),
			}}
		}
		state[name] = visiting
		var diags hcl.Diagnostics
		for _, trav := range a.Expr.Variables() {
			if trav.RootName() != "local" || len(trav) < 2 {
				continue
			}
			step, ok := trav[1].(hcl.TraverseAttr)
			if !ok {
				continue
			}
			if _, exists := attrs[step.Name]; !exists {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError, Summary: "Reference to undeclared local value",
					Detail:  fmt.Sprintf("There is no local value named %q.%s", step.Name, Suggest(step.Name, keys(attrs))),
					Subject: trav.SourceRange().Ptr(),
				})
				continue
			}
			diags = append(diags, visit(step.Name)...)
		}
		state[name] = done
		if diags.HasErrors() {
			p.Locals[name] = cty.DynamicVal
			return diags
		}
		ctx.Variables["local"] = cty.ObjectVal(p.Locals)
		v, ds := a.Expr.Value(ctx)
		p.Locals[name] = v
		return append(diags, ds...)
	}
	for _, name := range sortedKeys(attrs) {
		diags = append(diags, visit(name)...)
	}
	delete(ctx.Variables, "local")
	return diags
}
