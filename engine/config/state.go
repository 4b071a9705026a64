package config

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// StateBlock is the pipeline's `state { … }` block: where it keeps its
// checkpoints, sync snapshots and run history between runs.
type StateBlock struct {
	// Backend is "file" (the default), "postgres", or "memory" for a
	// pipeline parsed from memory that declares no state block.
	Backend string
	// Path is the state file of the file backend, resolved against the
	// pipeline's directory when relative.
	Path string
	// URL is the PostgreSQL connection URL of the postgres backend.
	URL string
	// Name is the pipeline's name in the store.
	Name string

	DeclRange hcl.Range
}

var stateSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "backend"}, {Name: "path"}, {Name: "url"}, {Name: "name"},
}}

// defaultState is where a pipeline keeps its state when it says nothing:
// a file under .sluice/ in the pipeline's directory, named after the
// pipeline's file or directory.
func (p *Pipeline) defaultState(path string) {
	name := strings.TrimSuffix(filepath.Base(path), ".hcl")
	p.State = &StateBlock{Backend: "file", Name: name, Path: filepath.Join(p.Dir, ".sluice", name+".db")}
}

// decodeState reads the state block, if any, over the defaults.
func (p *Pipeline) decodeState(blocks hcl.Blocks, ctx *hcl.EvalContext) hcl.Diagnostics {
	var diags hcl.Diagnostics
	if len(blocks) > 1 {
		diags = append(diags, duplicate("state block", "state", blocks[1].DefRange, blocks[0].DefRange))
	}
	if len(blocks) == 0 {
		return diags
	}
	b := blocks[0]
	s := p.State
	s.DeclRange = b.DefRange
	content, ds := b.Body.Content(stateSchema)
	diags = append(diags, ds...)
	decode := func(name string, dst *string) *hcl.Attribute {
		attr, ok := content.Attributes[name]
		if !ok {
			return nil
		}
		// The URL usually comes from a sensitive variable, whose value is
		// marked: the store needs it plain. The whole URL is redacted from
		// output as a sensitive value of the state block.
		v, ds := attr.Expr.Value(ctx)
		diags = append(diags, ds...)
		if ds.HasErrors() {
			return attr
		}
		v, _ = v.UnmarkDeep()
		v, err := convert.Convert(v, cty.String)
		if err == nil && v.IsNull() {
			err = errors.New("a value is required")
		}
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid " + name,
				Detail: fmt.Sprintf("%s must be a string: %v.", name, err), Subject: attr.Expr.Range().Ptr()})
			return attr
		}
		*dst = v.AsString()
		return attr
	}
	decode("backend", &s.Backend)
	if attr := decode("path", &s.Path); attr != nil && !filepath.IsAbs(s.Path) {
		s.Path = filepath.Join(filepath.Dir(b.DefRange.Filename), s.Path)
	}
	if attr := decode("name", &s.Name); attr != nil && s.Name == "" {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Empty pipeline name", Detail: "name, when given, cannot be empty.", Subject: attr.Expr.Range().Ptr()})
	}
	urlAttr := decode("url", &s.URL)
	switch s.Backend {
	case "file":
		if urlAttr != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "url is for the postgres backend", Detail: "The file backend keeps state in the file named by path.", Subject: urlAttr.NameRange.Ptr()})
		}
	case "postgres":
		if s.URL == "" {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Missing url", Detail: `The postgres backend needs url, a PostgreSQL connection URL such as "postgres://user@host/db".`, Subject: b.DefRange.Ptr()})
		}
	default:
		rng := b.DefRange
		if attr, ok := content.Attributes["backend"]; ok {
			rng = attr.Expr.Range()
		}
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unknown state backend", Detail: fmt.Sprintf("backend is %q; use \"file\" or \"postgres\".", s.Backend), Subject: rng.Ptr()})
	}
	return diags
}

// sensitiveStrings are the values of the state block that must not be shown.
func (s *StateBlock) sensitiveStrings() []string {
	if s == nil || s.URL == "" {
		return nil
	}
	return Strings(cty.StringVal(s.URL))
}
