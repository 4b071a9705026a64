package engine

import (
	"context"
	"log/slog"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sluicedata/sluice/sdk"
)

// NodeCheck is the outcome of one node's connection check.
type NodeCheck struct {
	// Address is the node's address, such as "sink.contacts".
	Address string
	// Plugin is the node's plugin name.
	Plugin string
	// Steps are the steps the plugin ran, in order; the check failed if any
	// step failed.
	Steps []sdk.CheckStep
}

// OK reports whether every step passed.
func (c NodeCheck) OK() bool {
	for _, s := range c.Steps {
		if !s.OK {
			return false
		}
	}
	return true
}

// Check tests the connections of every node whose plugin implements
// [sdk.Checker], in pipeline order, without moving data. The pipeline is
// validated offline first: configuration mistakes are returned as a
// *Diagnostics error. Texts are redacted.
func (p *Pipeline) Check(ctx context.Context) ([]NodeCheck, error) {
	pl, stop, err := p.plan(ctx, true)
	if err != nil {
		return nil, err
	}
	defer stop()
	var out []NodeCheck
	for _, n := range pl.Nodes {
		var inst any
		switch {
		case n.Source != nil:
			inst = n.Source
		case n.Transform != nil:
			inst = n.Transform
		case n.Sink != nil:
			inst = n.Sink
		}
		checker, ok := inst.(sdk.Checker)
		if !ok {
			continue
		}
		host := &checkHost{logger: p.logger().With(slog.String("node", n.Address())), alloc: p.engine.alloc}
		steps := checker.Check(ctx, host)
		for i := range steps {
			steps[i].Detail = p.redactor.String(steps[i].Detail)
			steps[i].Advice = p.redactor.String(steps[i].Advice)
		}
		out = append(out, NodeCheck{Address: n.Address(), Plugin: n.Config.Plugin, Steps: steps})
	}
	return out, p.redactor.Error(pl.Close(context.WithoutCancel(ctx)))
}

// checkHost is the online Host a Checker runs with.
type checkHost struct {
	logger *slog.Logger
	alloc  memory.Allocator
}

func (h *checkHost) Logger() *slog.Logger        { return h.logger }
func (h *checkHost) Allocator() memory.Allocator { return h.alloc }
func (h *checkHost) Offline() bool               { return false }
