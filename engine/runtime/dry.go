package runtime

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sluicedata/sluice/engine/plan"
	"github.com/sluicedata/sluice/sdk"
)

// Dry makes a run move data through sources and transforms as usual but
// write nothing: every batch a sink receives goes to Write instead of the
// sink's own Write. Sinks with a sync block neither save their snapshot nor
// act on rows that left their input, and sinks that can discard their
// output are aborted, never closed. `sluice plan` and `sluice test-mapping`
// run this way.
type Dry struct {
	// Write is called, concurrently as the sink's write policy allows, for
	// every batch a sink receives. first is the number of the batch's first
	// row among the rows the sink received in this run, counting from 0, or
	// -1 for a batch of rows being written again and for a sync sink's
	// batches (only its changed rows, so their numbers say nothing). Its result is accounted
	// for as the sink's would be: rejected rows go to the rejects stream.
	Write func(ctx context.Context, n *plan.Node, first int64, rec arrow.RecordBatch) (sdk.WriteResult, error)
}

// sinkWrite writes rec, the rows of env or some of them, with the sink or,
// in a dry run, with Dry.Write.
func (n *node) sinkWrite(r *run, env *envelope, rec arrow.RecordBatch) (sdk.WriteResult, error) {
	if r.opts.Dry == nil {
		return n.Sink.Write(r.runCtx, rec)
	}
	first := env.first
	if rec != env.rec {
		first = -1
	}
	return r.opts.Dry.Write(r.runCtx, n.Node, first, rec)
}
