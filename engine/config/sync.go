package config

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
)

// Sync is a sink's `sync { … }` block: send only the rows that changed since
// the last run, and decide what happens to the records of rows that left the
// input ("left the segment").
type Sync struct {
	// Mode is "changes", the one mode.
	Mode string
	// OnLeave is "nothing", "clear", "deactivate" or "delete".
	OnLeave string
	// MaxLeave and MaxLeavePercent are the safety rail: a run refuses to act
	// on more rows than either allows, unless told to.
	MaxLeave        int
	MaxLeavePercent float64

	DeclRange, OnLeaveRange hcl.Range
}

// Defaults of the safety rail.
const (
	DefaultMaxLeave        = 10_000
	DefaultMaxLeavePercent = 10
)

var syncSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "mode", Required: true}, {Name: "on_leave"}, {Name: "max_leave"}, {Name: "max_leave_percent"},
}}

func decodeSync(block *hcl.Block, ctx *hcl.EvalContext) (*Sync, hcl.Diagnostics) {
	s := &Sync{OnLeave: "nothing", MaxLeave: DefaultMaxLeave, MaxLeavePercent: DefaultMaxLeavePercent, DeclRange: block.DefRange, OnLeaveRange: block.DefRange}
	content, diags := block.Body.Content(syncSchema)
	bad := func(attr *hcl.Attribute, summary, detail string) {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: attr.Expr.Range().Ptr()})
	}
	if attr, ok := content.Attributes["mode"]; ok {
		diags = append(diags, gohcl.DecodeExpression(attr.Expr, ctx, &s.Mode)...)
		if s.Mode != "changes" {
			bad(attr, "Unknown sync mode", fmt.Sprintf("mode is %q; the sync mode is \"changes\": send only new and changed rows.", s.Mode))
		}
	}
	if attr, ok := content.Attributes["on_leave"]; ok {
		s.OnLeaveRange = attr.Expr.Range()
		diags = append(diags, gohcl.DecodeExpression(attr.Expr, ctx, &s.OnLeave)...)
		switch s.OnLeave {
		case "nothing", "clear", "deactivate", "delete":
		default:
			bad(attr, "Unknown on_leave action", fmt.Sprintf("on_leave is %q; use \"nothing\", \"clear\" (empty the mapped fields), \"deactivate\" or \"delete\".", s.OnLeave))
		}
	}
	if attr, ok := content.Attributes["max_leave"]; ok {
		diags = append(diags, gohcl.DecodeExpression(attr.Expr, ctx, &s.MaxLeave)...)
		if s.MaxLeave < 0 {
			bad(attr, "Invalid max_leave", "max_leave cannot be negative.")
		}
	}
	if attr, ok := content.Attributes["max_leave_percent"]; ok {
		diags = append(diags, gohcl.DecodeExpression(attr.Expr, ctx, &s.MaxLeavePercent)...)
		if s.MaxLeavePercent < 0 || s.MaxLeavePercent > 100 {
			bad(attr, "Invalid max_leave_percent", "max_leave_percent is a percentage of the snapshot, from 0 to 100.")
		}
	}
	return s, diags
}
