package plan

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/sluicedata/sluice/engine/config"
	"github.com/sluicedata/sluice/engine/redact"
	"github.com/sluicedata/sluice/engine/registry"
	"github.com/sluicedata/sluice/sdk"
)

// Plan is a pipeline whose plugins are configured and open.
type Plan struct {
	Pipeline *config.Pipeline
	// Nodes are in dependency order: every node after its input, and sinks
	// that receive rejected rows after every node that sends them.
	Nodes []*Node
}

// Node is one source, transform or sink of a plan.
type Node struct {
	Config *config.Node
	Plugin sdk.Plugin
	// Exactly one of Source, Transform and Sink is set, by kind.
	Source    sdk.Source
	Transform sdk.Transform
	Sink      sdk.Sink

	Input   *Node
	Outputs []*Node
	// Rejects receives this node's rejected rows; RejectsFrom lists the nodes
	// whose rejected rows a rejects sink receives.
	Rejects     *Node
	RejectsFrom []*Node

	// In is the schema of the batches the node receives; Out of those it
	// emits. Rejected rows carry In, or Out for a source.
	In, Out *arrow.Schema
	// Writes is the sink's write policy with the pipeline's overrides.
	Writes sdk.WritePolicy
	// Fingerprint identifies a sync sink's plugin, configuration and input
	// schema: a snapshot written under another fingerprint is not trusted.
	Fingerprint string

	// value is the node's decoded configuration.
	value cty.Value

	opened bool
}

// Address is the node's address, such as "transform.normalize".
func (n *Node) Address() string { return n.Config.Address() }

// Kind is the node's plugin kind.
func (n *Node) Kind() sdk.Kind { return n.Config.Kind }

// RejectedSchema is the schema of the rows this node rejects, before the
// engine adds the reject columns.
func (n *Node) RejectedSchema() *arrow.Schema {
	if n.Kind() == sdk.KindSource {
		return n.Out
	}
	return n.In
}

// Options configure planning.
type Options struct {
	Registry *registry.Registry
	// Offline plans without contacting remote systems, for validation.
	Offline   bool
	Logger    *slog.Logger
	Allocator memory.Allocator
	// Redactor receives the values of sensitive plugin attributes.
	Redactor *redact.Redactor
}

// New builds and opens the plan of a pipeline. When it reports errors it
// returns no plan, having closed whatever it opened.
func New(ctx context.Context, p *config.Pipeline, opts Options) (*Plan, hcl.Diagnostics) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Allocator == nil {
		opts.Allocator = memory.DefaultAllocator
	}
	if opts.Redactor == nil {
		opts.Redactor = redact.New()
	}
	// Every step goes as far as it can despite earlier mistakes, so that one
	// pass reports them all.
	pl := &Plan{Pipeline: p}
	diags := pl.link(p)
	for _, n := range pl.Nodes {
		diags = append(diags, n.configure(ctx, opts)...)
	}
	diags = append(diags, pl.open(ctx, opts)...)
	if diags.HasErrors() {
		pl.Close(context.WithoutCancel(ctx))
		return nil, diags
	}
	return pl, diags
}

// Close closes every open node, and returns the errors that closing them
// produced. Sinks that can discard their output are aborted rather than
// closed: a sink publishes what it wrote only when a run closes it.
func (pl *Plan) Close(ctx context.Context) error {
	var errs []error
	for _, n := range pl.Nodes {
		if !n.opened {
			continue
		}
		n.opened = false
		var err error
		switch {
		case n.Source != nil:
			err = n.Source.Close(ctx)
		case n.Transform != nil:
			err = n.Transform.Close(ctx)
		case n.Sink != nil:
			// A sink that ran was closed or aborted by the run already; one
			// that did not run must not publish anything.
			if a, ok := n.Sink.(sdk.Aborter); ok {
				err = a.Abort(ctx)
			} else {
				err = n.Sink.Close(ctx)
			}
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: close: %w", n.Address(), err))
		}
	}
	return errors.Join(errs...)
}

// configure finds the node's plugin, decodes its body and builds it.
func (n *Node) configure(ctx context.Context, opts Options) hcl.Diagnostics {
	c := n.Config
	plugin, ok := opts.Registry.Lookup(c.Kind, c.Plugin)
	if !ok {
		names := opts.Registry.Names(c.Kind)
		return hcl.Diagnostics{{
			Severity: hcl.DiagError, Summary: fmt.Sprintf("Unknown %s plugin %q", c.Kind, c.Plugin),
			Detail:  fmt.Sprintf("There is no %s plugin named %q.%s The %s plugins are: %s. `sluice plugins list` shows them all.", c.Kind, c.Plugin, config.Suggest(c.Plugin, names), c.Kind, joinNames(names)),
			Subject: c.PluginRange.Ptr(),
		}}
	}
	n.Plugin = plugin
	var diags hcl.Diagnostics
	if c.Kind == sdk.KindSink {
		diags = n.resolveWrites()
	}
	schema := plugin.Schema()
	value, ds := schema.DecodeBody(c.Body, c.EvalContext)
	diags = append(diags, ds...)
	if ds.HasErrors() || !value.IsWhollyKnown() {
		// An unknown value comes from a variable whose mistake is already
		// reported; building the plugin would only repeat it.
		return diags
	}
	opts.Redactor.Add(sensitiveValues(schema, value)...)
	n.value = value
	inst, err := plugin.New(ctx, value)
	if err != nil {
		return append(diags, n.diagnostics(err)...)
	}
	switch v := inst.(type) {
	case sdk.Source:
		n.Source = v
	case sdk.Transform:
		n.Transform = v
	case sdk.Sink:
		n.Sink = v
	}
	if n.Source == nil && n.Transform == nil && n.Sink == nil || kindOf(inst) != c.Kind {
		return append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "Plugin returned the wrong kind",
			Detail:  fmt.Sprintf("Plugin %q is registered as a %s but built a %T.", c.Plugin, c.Kind, inst),
			Subject: c.PluginRange.Ptr(),
		})
	}
	return diags
}

func kindOf(inst any) sdk.Kind {
	switch inst.(type) {
	case sdk.Source:
		return sdk.KindSource
	case sdk.Transform:
		return sdk.KindTransform
	case sdk.Sink:
		return sdk.KindSink
	}
	return ""
}

// Default batch size of sinks whose plugin does not choose one.
const (
	DefaultBatchRows  = 10_000
	DefaultBatchBytes = 8 << 20
)

// resolveWrites merges the plugin's write policy with the node's batch block
// and max_in_flight.
func (n *Node) resolveWrites() hcl.Diagnostics {
	w := n.Plugin.Info().Writes
	c := n.Config
	anySize := w.Rows == 0 && w.Bytes == 0 && c.Batch.Rows == 0 && c.Batch.Bytes == 0
	switch {
	case anySize && w.MaxRows > 0:
		w.Rows = w.MaxRows
	case anySize:
		// Batches pass through as they come.
	default:
		if w.Rows == 0 {
			w.Rows = cmp.Or(w.MaxRows, DefaultBatchRows)
		}
		if w.Bytes == 0 {
			w.Bytes = DefaultBatchBytes
		}
	}
	if w.InFlight == 0 {
		w.InFlight = 1
	}
	if w.MaxInFlight == 0 {
		w.MaxInFlight = max(w.InFlight, 1)
	}
	var diags hcl.Diagnostics
	if c.Batch.Rows > 0 {
		w.Rows = c.Batch.Rows
	}
	if c.Batch.Bytes > 0 {
		w.Bytes = c.Batch.Bytes
	}
	if w.MaxRows > 0 && c.Batch.Rows > w.MaxRows {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "Batch too large",
			Detail:  fmt.Sprintf("The %s sink writes at most %d rows per batch.", c.Plugin, w.MaxRows),
			Subject: c.Batch.Range.Ptr(),
		})
	}
	if c.MaxInFlight > 0 {
		w.InFlight = c.MaxInFlight
		if w.InFlight > w.MaxInFlight {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Too many concurrent writes",
				Detail:  fmt.Sprintf("The %s sink allows at most %d writes in flight.", c.Plugin, w.MaxInFlight),
				Subject: c.DeclRange.Ptr(),
			})
		}
	}
	n.Writes = w
	return diags
}

// diagnostics turns an error from the node's plugin into diagnostics at the
// configuration it is about, or at the block when it names none.
func (n *Node) diagnostics(err error) hcl.Diagnostics {
	var out hcl.Diagnostics
	for _, d := range sdk.AsDiagnostics(err) {
		hd := n.Config.Diagnostic(d)
		if len(d.Path) == 0 && d.Detail == "" {
			hd.Summary = fmt.Sprintf("%s: %s", n.Address(), d.Summary)
		}
		out = append(out, hd)
	}
	return out
}

// sensitiveValues returns the strings held by the sensitive attributes of a
// decoded configuration value, at any depth of blocks.
func sensitiveValues(s *sdk.Schema, v cty.Value) []string {
	v, _ = v.UnmarkDeep()
	if v.IsNull() || !v.Type().IsObjectType() {
		return nil
	}
	var out []string
	for _, a := range s.Attributes {
		if a.Sensitive && v.Type().HasAttribute(a.Name) {
			out = append(out, config.Strings(v.GetAttr(a.Name))...)
		}
	}
	for _, b := range s.Blocks {
		if b.Body == nil || !v.Type().HasAttribute(b.Name) {
			continue
		}
		bv := v.GetAttr(b.Name)
		if bv.IsNull() {
			continue
		}
		if !b.Repeated {
			out = append(out, sensitiveValues(b.Body, bv)...)
			continue
		}
		for it := bv.ElementIterator(); it.Next(); {
			_, ev := it.Element()
			out = append(out, sensitiveValues(b.Body, ev)...)
		}
	}
	return out
}

func joinNames(names []string) string {
	if len(names) == 0 {
		return "(none)"
	}
	return strings.Join(names, ", ")
}
