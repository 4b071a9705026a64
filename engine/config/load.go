package config

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/sluicedata/sluice/sdk"
)

// Pipeline is a loaded set of pipeline files.
type Pipeline struct {
	// Dir is the directory the pipeline was loaded from.
	Dir string
	// Files holds every parsed file by name, for rendering diagnostics with
	// source snippets.
	Files     map[string]*hcl.File
	Variables map[string]*Variable
	Locals    map[string]cty.Value
	// State is where the pipeline keeps its state between runs.
	State *StateBlock
	// Nodes are the source, transform and sink blocks in file order.
	Nodes []*Node
	// Plugins are the external plugin binaries the pipeline declares.
	Plugins []*PluginBlock
	// Unparsed is set when a file did not parse. Then the pipeline holds
	// only Dir and Files, so that the syntax errors can be shown with the
	// source lines they are on.
	Unparsed bool
}

var topSchema = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{
	{Type: "variable", LabelNames: []string{"name"}},
	{Type: "locals"},
	{Type: "state"},
	{Type: "plugin", LabelNames: []string{"name"}},
	{Type: string(sdk.KindSource), LabelNames: []string{"plugin", "name"}},
	{Type: string(sdk.KindTransform), LabelNames: []string{"plugin", "name"}},
	{Type: string(sdk.KindSink), LabelNames: []string{"plugin", "name"}},
}}

// Load reads the pipeline at path: one .hcl file, or every .hcl file in a
// directory, in name order, as one pipeline.
func Load(path string, in Inputs) (*Pipeline, hcl.Diagnostics) {
	files, dir, err := pipelineFiles(path)
	if err != nil {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot read pipeline", Detail: err.Error()}}
	}
	sources := make(map[string][]byte, len(files))
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot read pipeline file", Detail: err.Error()}}
		}
		sources[f] = src
	}
	p, diags := parse(sources, in, dir, path)
	return p, diags
}

func pipelineFiles(path string) (files []string, dir string, err error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, "", err
	}
	if !info.IsDir() {
		return []string{path}, filepath.Dir(path), nil
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, "", err
	}
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".hcl") {
			files = append(files, filepath.Join(path, e.Name()))
		}
	}
	if len(files) == 0 {
		return nil, "", fmt.Errorf("directory %s holds no .hcl files", path)
	}
	sort.Strings(files)
	return files, path, nil
}

// Parse reads a pipeline from sources held in memory, keyed by file name; the
// files are read in name order. Embedding programs use it to load pipelines
// that are not on disk. When a file does not parse, it returns a pipeline
// with Unparsed set that holds only the files; otherwise it returns the pipeline with every mistake it found, so that the
// planner can add its own and report them all at once.
func Parse(sources map[string][]byte, in Inputs) (*Pipeline, hcl.Diagnostics) {
	p, diags := parse(sources, in, ".", "pipeline")
	if p != nil && !p.Unparsed && p.State.DeclRange.Empty() {
		// A pipeline that is not on disk keeps its state in memory unless it
		// says otherwise.
		p.State.Backend, p.State.Path = "memory", ""
	}
	return p, diags
}

func parse(sources map[string][]byte, in Inputs, dir, path string) (*Pipeline, hcl.Diagnostics) {
	p := &Pipeline{Dir: dir, Files: map[string]*hcl.File{}, Variables: map[string]*Variable{}, Locals: map[string]cty.Value{}}
	p.defaultState(path)
	var diags hcl.Diagnostics
	var blocks hcl.Blocks
	for _, name := range sortedKeys(sources) {
		f, ds := hclsyntax.ParseConfig(sources[name], name, hcl.InitialPos)
		diags = append(diags, ds...)
		if f != nil {
			p.Files[name] = f
		}
	}
	if diags.HasErrors() {
		// A file that does not parse leaves nothing reliable to check, but
		// its text still shows where the syntax went wrong.
		return &Pipeline{Dir: dir, Files: p.Files, Unparsed: true}, diags
	}
	for _, name := range sortedKeys(sources) {
		content, ds := p.Files[name].Body.Content(topSchema)
		diags = append(diags, ds...)
		blocks = append(blocks, content.Blocks...)
	}

	funcs := functions(in.lookupEnv())
	byType := blocks.ByType()
	for _, b := range byType["variable"] {
		v, ds := decodeVariable(b)
		diags = append(diags, ds...)
		if prev, dup := p.Variables[v.Name]; dup {
			diags = append(diags, duplicate("variable", v.Name, b.LabelRanges[0], prev.DeclRange))
			continue
		}
		p.Variables[v.Name] = v
	}
	diags = append(diags, assignVariables(p.Variables, in, &hcl.EvalContext{Functions: funcs})...)

	vars := make(map[string]cty.Value, len(p.Variables))
	for name, v := range p.Variables {
		vars[name] = v.Value
	}
	ctx := &hcl.EvalContext{Functions: funcs, Variables: map[string]cty.Value{"var": cty.ObjectVal(vars)}}
	diags = append(diags, p.evalLocals(byType["locals"], ctx)...)
	ctx.Variables["local"] = cty.ObjectVal(p.Locals)
	diags = append(diags, p.decodePlugins(byType["plugin"], ctx)...)
	diags = append(diags, p.decodeState(byType["state"], ctx)...)

	seen := map[string]*Node{}
	for _, b := range blocks {
		kind := sdk.Kind(b.Type)
		if !kind.Valid() {
			continue
		}
		n, ds := decodeNode(kind, b, ctx)
		diags = append(diags, ds...)
		if f := p.Files[b.DefRange.Filename]; f != nil {
			n.src = f.Bytes
		}
		if prev, dup := seen[n.Address()]; dup {
			diags = append(diags, duplicate(string(kind), n.Name, n.NameRange, prev.DeclRange))
			continue
		}
		seen[n.Address()] = n
		p.Nodes = append(p.Nodes, n)
	}
	if len(p.Nodes) == 0 && !diags.HasErrors() {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "Empty pipeline",
			Detail: "The pipeline has no source, transform or sink blocks.",
		})
	}
	return p, diags
}

// Node returns the node with the given address, or nil.
func (p *Pipeline) Node(address string) *Node {
	for _, n := range p.Nodes {
		if n.Address() == address {
			return n
		}
	}
	return nil
}

// SensitiveValues returns the string values of sensitive variables and the
// state store's URL, which must never be shown.
func (p *Pipeline) SensitiveValues() []string {
	out := p.State.sensitiveStrings()
	for _, v := range p.Variables {
		if v.Sensitive {
			out = append(out, Strings(v.Value)...)
		}
	}
	return out
}

// Strings returns every known string inside v, however deeply nested.
func Strings(v cty.Value) []string {
	v, _ = v.UnmarkDeep()
	if v.IsNull() || !v.IsKnown() {
		return nil
	}
	switch {
	case v.Type() == cty.String:
		return []string{v.AsString()}
	case v.CanIterateElements():
		var out []string
		for it := v.ElementIterator(); it.Next(); {
			_, ev := it.Element()
			out = append(out, Strings(ev)...)
		}
		return out
	}
	return nil
}

func duplicate(what, name string, rng, prev hcl.Range) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError, Summary: fmt.Sprintf("Duplicate %s %q", what, name),
		Detail:  fmt.Sprintf("A %s named %q was already declared at %s. Names must be unique.", what, name, prev),
		Subject: rng.Ptr(),
	}
}
