package runtime

import (
	"fmt"

	"github.com/sluicedata/sluice/sdk"
)

// runPipelined runs a transform that takes batches before it returns the
// results of earlier ones (sdk.Pipeliner): a transform in another process,
// whose next batch can travel, and be processed, while the engine accounts
// for the last result. A goroutine submits the input in order, up to
// window batches ahead of the results taken; this one takes the results in
// order and accounts for each as runTransform does for Process, releasing
// an envelope only once its result is accounted, since the transform may
// read its batch until then (and its aligned Out or Keep refer to it).
//
// Every submitted batch gets its Next, even after a failure or once the
// run is stopping (the transform returns promptly when the run's context
// is done), so that nothing the transform holds for a batch is leaked;
// only the accounting is skipped then.
func (n *node) runPipelined(r *run, p sdk.Pipeliner, window int, holds bool, held *[]*ticket) {
	// submitted carries the envelopes submitted, in order, to the taker;
	// slots holds one token per batch submitted whose result is not yet
	// taken.
	submitted := make(chan *envelope, window)
	slots := make(chan struct{}, window)
	go func() {
		defer close(submitted)
		for env := range n.in {
			if r.stopping() {
				env.release()
				continue
			}
			slots <- struct{}{}
			if r.stopping() {
				<-slots
				env.release()
				continue
			}
			n.counters.in.Add(int64(env.rows()))
			n.counters.batches.Add(1)
			if err := p.Submit(r.runCtx, env.rec); err != nil {
				<-slots
				r.fail(fmt.Errorf("%s: %w", n.Address(), err))
				env.release()
				continue
			}
			submitted <- env
		}
	}()
	for env := range submitted {
		res, err := p.Next(r.runCtx)
		<-slots
		n.counters.sampleMemory(n.Transform)
		switch {
		case err != nil:
			r.fail(fmt.Errorf("%s: %w", n.Address(), err))
		case r.stopping():
			releaseResult(res)
		default:
			n.account(r, env, res, holds, held)
		}
		env.release()
	}
}

// releaseResult drops a result that will not be accounted.
func releaseResult(res sdk.Result) {
	if res.Out != nil {
		res.Out.Release()
	}
	if res.Keep != nil {
		res.Keep.Release()
	}
}
