package plan

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/hashicorp/hcl/v2"

	"github.com/sluicedata/sluice/sdk"
)

// open opens every node in order, so that each knows its input schema. A node
// whose input could not be opened is skipped: its own mistakes would only be
// consequences of the first.
func (pl *Plan) open(ctx context.Context, opts Options) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, n := range pl.Nodes {
		if !n.ready() {
			continue
		}
		host := &host{
			logger:  opts.Logger.With(slog.String("node", n.Address())),
			alloc:   opts.Allocator,
			offline: opts.Offline,
		}
		switch {
		case len(n.RejectsFrom) > 0:
			schema, ds := rejectsSchema(n)
			diags = append(diags, ds...)
			if schema == nil {
				continue
			}
			n.In = schema
		case n.Input != nil:
			n.In = n.Input.Out
		}
		var err error
		n.opened = true
		switch {
		case n.Source != nil:
			n.Out, err = n.Source.Open(ctx, host)
		case n.Transform != nil:
			n.Out, err = n.Transform.Open(ctx, host, n.In)
		case n.Sink != nil:
			err = n.Sink.Open(ctx, host, n.In)
		}
		if err == nil && n.Kind() != sdk.KindSink && n.Out == nil {
			err = fmt.Errorf("plugin %q opened without reporting its output schema", n.Config.Plugin)
		}
		if err != nil {
			// A transform may report its output schema along with its
			// mistakes, so that the nodes after it are checked too.
			if n.Transform == nil {
				n.Out = nil
			}
			diags = append(diags, n.diagnostics(err)...)
			continue
		}
		if n.Config.Sync != nil {
			diags = append(diags, n.checkSync()...)
		}
	}
	return diags
}

// ready reports whether a node can be opened: it was built, and whatever
// feeds it opened without error.
func (n *Node) ready() bool {
	if n.Source == nil && n.Transform == nil && n.Sink == nil {
		return false
	}
	if n.Kind() != sdk.KindSource && len(n.RejectsFrom) == 0 && (n.Input == nil || !n.Input.opened || n.Input.Out == nil) {
		return false
	}
	for _, from := range n.RejectsFrom {
		if !from.opened || from.RejectedSchema() == nil {
			return false
		}
	}
	return true
}

// RejectColumns are the columns the engine adds to rejected rows: which node
// rejected the row, the error code and the reason.
var RejectColumns = []arrow.Field{
	{Name: "_reject_node", Type: arrow.BinaryTypes.String},
	{Name: "_reject_code", Type: arrow.BinaryTypes.String},
	{Name: "_reject_reason", Type: arrow.BinaryTypes.String},
}

// rejectsSchema is the schema of a rejects sink's input: every column of the
// rejected rows of every node that sends it rows, then the reject columns. A
// column that two nodes give different types becomes text.
func rejectsSchema(n *Node) (*arrow.Schema, hcl.Diagnostics) {
	var fields []arrow.Field
	index := map[string]int{}
	for _, from := range n.RejectsFrom {
		s := from.RejectedSchema()
		if s == nil {
			return nil, nil // the sender failed to open; it has its own diagnostic
		}
		for _, f := range s.Fields() {
			f.Nullable = true
			i, seen := index[f.Name]
			switch {
			case !seen:
				index[f.Name] = len(fields)
				fields = append(fields, f)
			case !arrow.TypeEqual(fields[i].Type, f.Type):
				fields[i].Type = arrow.BinaryTypes.String
			}
		}
	}
	var diags hcl.Diagnostics
	for _, rc := range RejectColumns {
		if _, clash := index[rc.Name]; clash {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Column name reserved for rejects",
				Detail:  fmt.Sprintf("Rows sent to %s already have a column %q, which the engine adds to rejected rows. Rename it upstream.", n.Address(), rc.Name),
				Subject: n.Config.DeclRange.Ptr(),
			})
		}
		rc.Nullable = true
		fields = append(fields, rc)
	}
	if diags.HasErrors() {
		return nil, diags
	}
	return arrow.NewSchema(fields, nil), nil
}

// host is what the engine lends a plugin.
type host struct {
	logger  *slog.Logger
	alloc   memory.Allocator
	offline bool
}

func (h *host) Logger() *slog.Logger        { return h.logger }
func (h *host) Allocator() memory.Allocator { return h.alloc }
func (h *host) Offline() bool               { return h.offline }
