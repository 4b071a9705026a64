package config

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/zclconf/go-cty/cty"

	"github.com/sluicedata/sluice/sdk"
)

// Node is a source, transform or sink block.
type Node struct {
	Kind   sdk.Kind
	Plugin string
	Name   string
	// DeclRange covers the block header; PluginRange and NameRange its labels.
	DeclRange, PluginRange, NameRange hcl.Range

	// Input is the node this one reads from: required for transforms and
	// sinks, absent for sources. BadInput says an input was written but is
	// not a valid reference, a mistake already reported.
	Input    *Ref
	BadInput bool
	// Rejects is the sink that receives this node's rejected rows, if any.
	Rejects *Ref
	// MaxRejects is how many rows the node may reject before the run stops,
	// or -1 for no limit. Without a rejects sink, the first rejected row stops
	// the run.
	MaxRejects int64
	// Batch and MaxInFlight override the plugin's write policy. Sinks only.
	Batch       Batch
	MaxInFlight int
	// Sync, when set, makes a sink send only new and changed rows and act on
	// the records of rows that left its input. Sinks only.
	Sync *Sync

	// Body is the rest of the block, for the plugin's schema, and EvalContext
	// the context to evaluate it in.
	Body        hcl.Body
	EvalContext *hcl.EvalContext
	// src is the text of the file the node is in, to locate positions
	// inside expressions.
	src []byte
}

// Address is how other blocks refer to the node: "source.segment".
func (n *Node) Address() string { return string(n.Kind) + "." + n.Name }

// Ref is a reference to a node, such as source.segment, where it was written.
type Ref struct {
	Kind  sdk.Kind
	Name  string
	Range hcl.Range
}

// Address is the referenced node's address.
func (r *Ref) Address() string { return string(r.Kind) + "." + r.Name }

// Batch is a sink's `batch { rows = …, bytes = … }` block. Zero means the
// plugin's default.
type Batch struct {
	Rows  int
	Bytes int64
	Range hcl.Range
}

// metaSchema lists the attributes and blocks the engine interprets in every
// node block; they are the names sdk.ReservedNames keeps from plugins.
var metaSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "input"}, {Name: "rejects"}, {Name: "max_rejects"}, {Name: "max_in_flight"}},
	Blocks:     []hcl.BlockHeaderSchema{{Type: "batch"}, {Type: "sync"}},
}

var batchSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "rows"}, {Name: "bytes"}}}

func decodeNode(kind sdk.Kind, block *hcl.Block, ctx *hcl.EvalContext) (*Node, hcl.Diagnostics) {
	n := &Node{
		Kind: kind, Plugin: block.Labels[0], Name: block.Labels[1],
		DeclRange: block.DefRange, PluginRange: block.LabelRanges[0], NameRange: block.LabelRanges[1],
		MaxRejects: -1, EvalContext: ctx,
	}
	content, remain, diags := block.Body.PartialContent(metaSchema)
	n.Body = remain
	if !validName(n.Name) {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "Invalid " + string(kind) + " name",
			Detail:  "A name must start with a letter and contain only letters, digits and underscores.",
			Subject: &n.NameRange,
		})
	}

	if attr, ok := content.Attributes["input"]; ok {
		if kind == sdk.KindSource {
			diags = append(diags, notHere(attr, "A source has no input: it is where data enters the pipeline."))
		} else {
			ref, ds := decodeRef(attr.Expr, sdk.KindSource, sdk.KindTransform)
			diags = append(diags, ds...)
			n.Input, n.BadInput = ref, ref == nil
		}
	} else if kind == sdk.KindTransform {
		// A sink may lack an input when it receives rejected rows; the
		// planner checks that.
		diags = append(diags, MissingInput(n))
	}
	if attr, ok := content.Attributes["rejects"]; ok {
		ref, ds := decodeRef(attr.Expr, sdk.KindSink)
		diags = append(diags, ds...)
		n.Rejects = ref
	}
	if attr, ok := content.Attributes["max_rejects"]; ok {
		diags = append(diags, gohcl.DecodeExpression(attr.Expr, ctx, &n.MaxRejects)...)
		if n.MaxRejects < 0 {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid max_rejects", Detail: "max_rejects cannot be negative.", Subject: attr.Expr.Range().Ptr()})
		}
	}
	if attr, ok := content.Attributes["max_in_flight"]; ok {
		if kind != sdk.KindSink {
			diags = append(diags, notHere(attr, "Only sinks have concurrent writes."))
		} else {
			diags = append(diags, gohcl.DecodeExpression(attr.Expr, ctx, &n.MaxInFlight)...)
			if n.MaxInFlight < 1 {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid max_in_flight", Detail: "max_in_flight must be at least 1.", Subject: attr.Expr.Range().Ptr()})
			}
		}
	}
	for _, b := range content.Blocks {
		if kind != sdk.KindSink {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: fmt.Sprintf("Unexpected %s block", b.Type),
				Detail: "Only sinks have " + map[string]string{"batch": "a batch size.", "sync": "a sync policy."}[b.Type], Subject: b.DefRange.Ptr(),
			})
			continue
		}
		switch b.Type {
		case "batch":
			batch, ds := decodeBatch(b, ctx)
			diags = append(diags, ds...)
			n.Batch = batch
		case "sync":
			sync, ds := decodeSync(b, ctx)
			diags = append(diags, ds...)
			n.Sync = sync
		}
	}
	return n, diags
}

// MissingInput is the diagnostic for a transform or sink without input.
func MissingInput(n *Node) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError, Summary: "Missing input",
		Detail:  fmt.Sprintf("A %s needs an input: the source or transform it reads from, such as input = source.segment.", n.Kind),
		Subject: n.Body.MissingItemRange().Ptr(),
	}
}

func decodeBatch(block *hcl.Block, ctx *hcl.EvalContext) (Batch, hcl.Diagnostics) {
	b := Batch{Range: block.DefRange}
	content, diags := block.Body.Content(batchSchema)
	if attr, ok := content.Attributes["rows"]; ok {
		diags = append(diags, gohcl.DecodeExpression(attr.Expr, ctx, &b.Rows)...)
		if b.Rows < 1 {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid batch size", Detail: "rows must be at least 1.", Subject: attr.Expr.Range().Ptr()})
		}
	}
	if attr, ok := content.Attributes["bytes"]; ok {
		var raw cty.Value
		raw, ds := attr.Expr.Value(ctx)
		diags = append(diags, ds...)
		if !ds.HasErrors() {
			n, err := ParseByteSize(raw)
			if err != nil {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid batch size", Detail: err.Error(), Subject: attr.Expr.Range().Ptr()})
			}
			b.Bytes = n
		}
	}
	return b, diags
}

// decodeRef reads a reference such as source.segment, which must name a node
// of one of the allowed kinds. It is a traversal, not a string: the planner
// checks the node exists.
func decodeRef(expr hcl.Expression, allowed ...sdk.Kind) (*Ref, hcl.Diagnostics) {
	want := make([]string, len(allowed))
	for i, k := range allowed {
		want[i] = string(k) + ".<name>"
	}
	bad := &hcl.Diagnostic{
		Severity: hcl.DiagError, Summary: "Invalid reference",
		Detail:  fmt.Sprintf("Expected a reference of the form %s, without quotes.", strings.Join(want, " or ")),
		Subject: expr.Range().Ptr(),
	}
	trav, diags := hcl.AbsTraversalForExpr(expr)
	if diags.HasErrors() || len(trav) != 2 {
		return nil, hcl.Diagnostics{bad}
	}
	root := sdk.Kind(trav.RootName())
	attr, ok := trav[1].(hcl.TraverseAttr)
	if !ok {
		return nil, hcl.Diagnostics{bad}
	}
	for _, k := range allowed {
		if k == root {
			return &Ref{Kind: root, Name: attr.Name, Range: trav.SourceRange()}, nil
		}
	}
	return nil, hcl.Diagnostics{bad}
}

func notHere(attr *hcl.Attribute, why string) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError, Summary: fmt.Sprintf("Unexpected attribute %q", attr.Name),
		Detail: why, Subject: attr.NameRange.Ptr(),
	}
}

func validName(name string) bool {
	if name == "" {
		return false
	}
	for i, r := range name {
		if !(r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (i > 0 && r >= '0' && r <= '9')) {
			return false
		}
	}
	return true
}
