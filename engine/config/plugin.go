package config

import (
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
)

// PluginBlock is a `plugin "<name>" { path = …, sha256 = … }` block: an
// external plugin binary the pipeline uses, pinned by its checksum. The
// plugins the binary serves are then used like builtins, by their own
// names, in source, transform and sink blocks.
type PluginBlock struct {
	Name string
	// Path is the binary's path, resolved against the directory of the file
	// that declares the block when it was written relative.
	Path string
	// SHA256 is the hex SHA-256 the binary must have.
	SHA256 string

	DeclRange, NameRange, PathRange, SHA256Range hcl.Range
}

var pluginSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "path", Required: true},
	{Name: "sha256", Required: true},
}}

func (p *Pipeline) decodePlugins(blocks hcl.Blocks, ctx *hcl.EvalContext) hcl.Diagnostics {
	var diags hcl.Diagnostics
	seen := map[string]*PluginBlock{}
	for _, b := range blocks {
		pb := &PluginBlock{Name: b.Labels[0], DeclRange: b.DefRange, NameRange: b.LabelRanges[0]}
		content, ds := b.Body.Content(pluginSchema)
		diags = append(diags, ds...)
		if ds.HasErrors() {
			continue
		}
		attr := content.Attributes["path"]
		pb.PathRange = attr.Expr.Range()
		diags = append(diags, gohcl.DecodeExpression(attr.Expr, ctx, &pb.Path)...)
		attr = content.Attributes["sha256"]
		pb.SHA256Range = attr.Expr.Range()
		diags = append(diags, gohcl.DecodeExpression(attr.Expr, ctx, &pb.SHA256)...)
		if !validSHA256(pb.SHA256) {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Invalid sha256",
				Detail:  "sha256 is the 64 hexadecimal digits of the binary's SHA-256, as `sha256sum` prints them.",
				Subject: pb.SHA256Range.Ptr(),
			})
		}
		if pb.Path != "" && !filepath.IsAbs(pb.Path) {
			pb.Path = filepath.Join(filepath.Dir(b.DefRange.Filename), pb.Path)
		}
		if prev, dup := seen[pb.Name]; dup {
			diags = append(diags, duplicate("plugin", pb.Name, pb.NameRange, prev.DeclRange))
			continue
		}
		seen[pb.Name] = pb
		p.Plugins = append(p.Plugins, pb)
	}
	return diags
}

func validSHA256(s string) bool {
	s = strings.ToLower(strings.TrimSpace(s))
	if len(s) != 64 {
		return false
	}
	for _, r := range s {
		if !strings.ContainsRune("0123456789abcdef", r) {
			return false
		}
	}
	return true
}
