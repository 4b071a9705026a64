package sdk

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// DecodeBody evaluates an HCL block body written against s, reporting every
// problem — unknown or missing attributes and blocks, values of the wrong
// type — as a diagnostic at its source range. The result is an object value
// with one attribute per schema attribute and block (null when absent), the
// form [DecodeConfig] and [Plugin.New] take. Attributes the engine itself
// interprets must be removed from body first (hcl.Body.PartialContent).
//
// The engine decodes pipeline files with it; sdk/plugintest uses it to decode
// configuration snippets in tests.
func (s *Schema) DecodeBody(body hcl.Body, ctx *hcl.EvalContext) (cty.Value, hcl.Diagnostics) {
	content, diags := body.Content(s.bodySchema())
	attrs := make(map[string]cty.Value, len(s.Attributes)+len(s.Blocks))
	for _, a := range s.Attributes {
		attr, ok := content.Attributes[a.Name]
		if !ok {
			attrs[a.Name] = cty.NullVal(a.Type.Cty())
			continue
		}
		v, ds := evalAttr(attr, a.Type.Cty(), ctx)
		diags = append(diags, ds...)
		attrs[a.Name] = v
	}
	blocks := content.Blocks.ByType()
	for _, b := range s.Blocks {
		v, ds := b.decode(blocks[b.Name], body, ctx)
		diags = append(diags, ds...)
		attrs[b.Name] = v
	}
	return cty.ObjectVal(attrs), diags
}

func (s *Schema) bodySchema() *hcl.BodySchema {
	bs := &hcl.BodySchema{}
	for _, a := range s.Attributes {
		bs.Attributes = append(bs.Attributes, hcl.AttributeSchema{Name: a.Name, Required: a.Required})
	}
	for _, b := range s.Blocks {
		bs.Blocks = append(bs.Blocks, hcl.BlockHeaderSchema{Type: b.Name, LabelNames: b.Labels})
	}
	return bs
}

func (b *Block) decode(found hcl.Blocks, parent hcl.Body, ctx *hcl.EvalContext) (cty.Value, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	if b.Required && len(found) == 0 {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  fmt.Sprintf("Missing %s block", b.Name),
			Detail:   fmt.Sprintf("A %s block is required here.", b.Name),
			Subject:  parent.MissingItemRange().Ptr(),
		})
	}
	if !b.Repeated && len(found) > 1 {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  fmt.Sprintf("Duplicate %s block", b.Name),
			Detail:   fmt.Sprintf("Only one %s block is allowed; another was defined at %s.", b.Name, found[0].DefRange),
			Subject:  found[1].DefRange.Ptr(),
		})
	}
	if !b.Repeated {
		if len(found) == 0 {
			return cty.NullVal(cty.DynamicPseudoType), diags
		}
		v, ds := b.decodeOne(found[0], ctx)
		return v, append(diags, ds...)
	}
	elems := make([]cty.Value, 0, len(found))
	seen := map[string]*hcl.Block{}
	for _, blk := range found {
		if len(blk.Labels) > 0 {
			key := fmt.Sprint(blk.Labels)
			if prev, dup := seen[key]; dup {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  fmt.Sprintf("Duplicate %s block", b.Name),
					Detail:   fmt.Sprintf("A %s block labelled %q was already defined at %s.", b.Name, blk.Labels[0], prev.DefRange),
					Subject:  blk.LabelRanges[0].Ptr(),
				})
				continue
			}
			seen[key] = blk
		}
		v, ds := b.decodeOne(blk, ctx)
		diags = append(diags, ds...)
		elems = append(elems, v)
	}
	return cty.TupleVal(elems), diags
}

func (b *Block) decodeOne(blk *hcl.Block, ctx *hcl.EvalContext) (cty.Value, hcl.Diagnostics) {
	if b.Attrs != nil {
		return decodeAttrsBlock(blk.Body, *b.Attrs, ctx)
	}
	v, diags := b.Body.DecodeBody(blk.Body, ctx)
	if len(b.Labels) == 0 {
		return v, diags
	}
	attrs := v.AsValueMap()
	for i, l := range b.Labels {
		attrs[l] = cty.StringVal(blk.Labels[i])
	}
	return cty.ObjectVal(attrs), diags
}

// decodeAttrsBlock decodes a block of free-form attributes. Values of type
// any may differ in type from one attribute to the next, so the result is an
// object; otherwise it is a map of elem.
func decodeAttrsBlock(body hcl.Body, elem Type, ctx *hcl.EvalContext) (cty.Value, hcl.Diagnostics) {
	attrs, diags := body.JustAttributes()
	vals := make(map[string]cty.Value, len(attrs))
	for name, attr := range attrs {
		v, ds := evalAttr(attr, elem.Cty(), ctx)
		diags = append(diags, ds...)
		vals[name] = v
	}
	if elem.Kind == TypeAny {
		return cty.ObjectVal(vals), diags
	}
	if len(vals) == 0 {
		return cty.MapValEmpty(elem.Cty()), diags
	}
	return cty.MapVal(vals), diags
}

func evalAttr(attr *hcl.Attribute, want cty.Type, ctx *hcl.EvalContext) (cty.Value, hcl.Diagnostics) {
	v, diags := attr.Expr.Value(ctx)
	if diags.HasErrors() {
		return cty.NullVal(want), diags
	}
	cv, err := convert.Convert(v, want)
	if err != nil {
		return cty.NullVal(want), append(diags, &hcl.Diagnostic{
			Severity:    hcl.DiagError,
			Summary:     "Incorrect attribute value type",
			Detail:      fmt.Sprintf("Inappropriate value for attribute %q: %s.", attr.Name, err),
			Subject:     attr.Expr.Range().Ptr(),
			Expression:  attr.Expr,
			EvalContext: ctx,
		})
	}
	return cv, diags
}
