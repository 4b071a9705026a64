package config

import (
	"strconv"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/sluicedata/sluice/sdk"
)

// Diagnostic turns a plugin's diagnostic about this node's configuration into
// an HCL diagnostic at the source range its path and position name.
func (n *Node) Diagnostic(d sdk.Diagnostic) *hcl.Diagnostic {
	sev := hcl.DiagError
	if d.Severity == sdk.Warning {
		sev = hcl.DiagWarning
	}
	subject, context := n.rangeOf(d.Path, d.Pos)
	return &hcl.Diagnostic{Severity: sev, Summary: d.Summary, Detail: d.Detail, Subject: &subject, Context: context}
}

// rangeOf finds the source range of the configuration element at path in the
// node's body, narrowed to a position inside it when pos is set. When the
// element was not written (a missing attribute), it is the block header.
func (n *Node) rangeOf(path sdk.Path, pos *sdk.Pos) (hcl.Range, *hcl.Range) {
	rng, expr, ok := find(n.Body, path)
	if !ok {
		return n.DeclRange, nil
	}
	if pos != nil && expr != nil {
		if at, ok := positionIn(expr, *pos, n.src); ok {
			return at, &rng
		}
	}
	return rng, nil
}

// find walks path through a body: attributes, blocks (by label, or by index
// for repeated blocks without labels, or into the only block for blocks of
// free-form attributes) and object constructor keys inside expressions.
func find(body hcl.Body, path sdk.Path) (hcl.Range, hcl.Expression, bool) {
	sb, ok := body.(*hclsyntax.Body)
	if !ok || len(path) == 0 {
		return hcl.Range{}, nil, false
	}
	step, rest := path[0], path[1:]
	if attr, ok := sb.Attributes[step]; ok {
		return findInExpr(attr.Expr, rest)
	}
	var blocks []*hclsyntax.Block
	for _, b := range sb.Blocks {
		if b.Type == step {
			blocks = append(blocks, b)
		}
	}
	if len(blocks) == 0 {
		return hcl.Range{}, nil, false
	}
	block := blocks[0]
	switch {
	case len(block.Labels) > 0 && len(rest) >= len(block.Labels):
		block = nil
	search:
		for _, b := range blocks {
			for i, l := range b.Labels {
				if rest[i] != l {
					continue search
				}
			}
			block = b
			break
		}
		if block == nil {
			return hcl.Range{}, nil, false
		}
		rest = rest[len(block.Labels):]
	case len(block.Labels) == 0 && len(rest) > 0:
		if i, err := strconv.Atoi(rest[0]); err == nil && i >= 0 && i < len(blocks) {
			block, rest = blocks[i], rest[1:]
		}
	}
	if len(rest) == 0 {
		return block.DefRange(), nil, true
	}
	if rng, expr, ok := find(block.Body, rest); ok {
		return rng, expr, true
	}
	return block.DefRange(), nil, true
}

func findInExpr(expr hclsyntax.Expression, path sdk.Path) (hcl.Range, hcl.Expression, bool) {
	if len(path) == 0 {
		return expr.Range(), expr, true
	}
	switch e := expr.(type) {
	case *hclsyntax.ObjectConsExpr:
		for _, item := range e.Items {
			key, diags := item.KeyExpr.Value(nil)
			if diags.HasErrors() || key.Type() != cty.String || !key.IsKnown() {
				continue
			}
			if key.AsString() == path[0] {
				return findInExpr(item.ValueExpr, path[1:])
			}
		}
	case *hclsyntax.TupleConsExpr:
		if i, err := strconv.Atoi(path[0]); err == nil && i >= 0 && i < len(e.Exprs) {
			return findInExpr(e.Exprs[i], path[1:])
		}
	}
	return expr.Range(), expr, true
}

// positionIn maps a line and column inside a string's text to the source
// position in the file src, for a string written literally (quoted or
// heredoc). Columns count bytes, which is exact for ASCII expressions.
func positionIn(expr hcl.Expression, pos sdk.Pos, src []byte) (hcl.Range, bool) {
	tmpl, ok := expr.(*hclsyntax.TemplateExpr)
	if !ok || len(tmpl.Parts) != 1 {
		return hcl.Range{}, false
	}
	lit, ok := tmpl.Parts[0].(*hclsyntax.LiteralValueExpr)
	if !ok {
		return hcl.Range{}, false
	}
	at := lit.SrcRange.Start
	if pos.Line <= 1 {
		at.Column += pos.Column - 1
		at.Byte += pos.Column - 1
	} else {
		// Find the start of the expression's line pos.Line in the file.
		b, line := at.Byte, at.Line
		for line < at.Line+pos.Line-1 && b < len(src) {
			if src[b] == '\n' {
				line++
			}
			b++
		}
		if line != at.Line+pos.Line-1 {
			return hcl.Range{}, false
		}
		at = hcl.Pos{Line: line, Column: pos.Column, Byte: b + pos.Column - 1}
	}
	end := hcl.Pos{Line: at.Line, Column: at.Column + 1, Byte: at.Byte + 1}
	return hcl.Range{Filename: lit.SrcRange.Filename, Start: at, End: end}, true
}
