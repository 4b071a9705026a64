package runtime

import (
	"sync"

	"github.com/sluicedata/sluice/engine/plan"
	"github.com/sluicedata/sluice/sdk"
)

// node is a plan node as it runs.
type node struct {
	*plan.Node
	counters counters

	// in receives the node's input: batches from its input node or, for a
	// rejects sink, rejected rows from the nodes that send them.
	in chan *envelope
	// outs are the inputs of the nodes that read this one.
	outs []chan *envelope
	// rejects is where this node's rejected rows go, or nil.
	rejects *node
	// senders counts the nodes still running that send rejected rows here;
	// in is closed when it drops to zero.
	senders sync.WaitGroup
	// tracker commits a source's checkpoints.
	tracker *tracker
	// sync tracks a sync sink's changes.
	sync *syncer
}

func (n *node) instance() any {
	switch {
	case n.Source != nil:
		return n.Source
	case n.Transform != nil:
		return n.Transform
	}
	return n.Sink
}

// wire builds the running nodes and the channels between them.
func (r *run) wire(pl *plan.Plan) {
	byPlan := map[*plan.Node]*node{}
	r.cpPending = map[string]sdk.Checkpoint{}
	for _, pn := range pl.Nodes {
		if pn.Sink != nil && pn.Config.Sync != nil {
			r.syncing = true
		}
		n := &node{Node: pn}
		if pn.Input != nil || len(pn.RejectsFrom) > 0 {
			n.in = make(chan *envelope, r.opts.QueueDepth)
		}
		byPlan[pn] = n
		r.nodes = append(r.nodes, n)
	}
	for _, n := range r.nodes {
		for _, o := range n.Outputs {
			n.outs = append(n.outs, byPlan[o].in)
		}
		if n.Node.Rejects != nil {
			n.rejects = byPlan[n.Node.Rejects]
		}
		if len(n.RejectsFrom) > 0 {
			n.senders.Add(len(n.RejectsFrom))
			go func() {
				n.senders.Wait()
				close(n.in)
			}()
		}
		if n.Source != nil {
			addr := n.Address()
			n.tracker = newTracker(func(cp sdk.Checkpoint) { r.commitCheckpoint(addr, cp) }, r.stopping)
		}
	}
}

// run runs the node until its input ends, then tells the nodes downstream.
func (n *node) run(r *run) {
	defer func() {
		for _, out := range n.outs {
			close(out)
		}
		if n.rejects != nil {
			n.rejects.senders.Done()
		}
	}()
	switch {
	case n.Source != nil:
		n.runSource(r)
	case n.Transform != nil:
		n.runTransform(r)
	case n.Sink != nil:
		n.runSink(r)
	}
}

// send passes env to every node reading this one: the same batch, retained
// once per extra reader. It takes over env.
func (n *node) send(r *run, env *envelope) {
	for i, out := range n.outs {
		e := env
		if i < len(n.outs)-1 {
			env.rec.Retain()
			e = derive(env.rec, env.tickets)
		}
		select {
		case out <- e:
		case <-r.runCtx.Done():
			e.release()
		}
	}
	if len(n.outs) == 0 {
		env.release()
	}
}

// drain releases whatever is still queued for the node, after a failure.
func (n *node) drain() {
	for env := range n.in {
		env.release()
	}
}
