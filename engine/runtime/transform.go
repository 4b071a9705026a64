package runtime

import (
	"fmt"

	"github.com/sluicedata/sluice/sdk"
)

func (n *node) runTransform(r *run) {
	flusher, holds := n.Transform.(sdk.Flusher)
	// held are the tickets of input batches whose rows the transform may be
	// holding: a Flusher that returned no output for them.
	var held []*ticket
	defer func() {
		for _, t := range held {
			t.release()
		}
	}()
	for env := range n.in {
		if r.stopping() {
			env.release()
			continue
		}
		n.counters.in.Add(int64(env.rows()))
		n.counters.batches.Add(1)
		res, err := n.Transform.Process(r.runCtx, env.rec)
		n.counters.sampleMemory(n.Transform)
		if err != nil {
			r.fail(fmt.Errorf("%s: %w", n.Address(), err))
			env.release()
			continue
		}
		if !n.account(r, env, res, holds, &held) {
			env.release()
			continue
		}
		env.release()
	}
	if holds && !r.stopping() {
		n.flush(r, flusher, held)
	}
}

// flush sends what a transform held, batch by batch. Every batch holds the
// tickets of all the input the transform held, so no checkpoint passes a row
// until the last of them is written.
func (n *node) flush(r *run, flusher sdk.Flusher, held []*ticket) {
	for !r.stopping() {
		res, err := flusher.Flush(r.runCtx)
		n.counters.sampleMemory(n.Transform)
		if err == nil && res.Rejects != nil {
			err = fmt.Errorf("reported row errors, which Flush cannot: it has no input batch")
		}
		if err == nil && res.Out != nil && res.Out.NumRows() > 0 && !res.Out.Schema().Equal(n.Out) {
			err = fmt.Errorf("returned a batch whose schema differs from the one Open reported")
		}
		if err != nil {
			if res.Out != nil {
				res.Out.Release()
			}
			r.fail(fmt.Errorf("%s: flush: %w", n.Address(), err))
			return
		}
		n.counters.filtered.Add(int64(res.Filtered))
		n.counters.deduplicated.Add(int64(res.Deduplicated))
		if res.Out == nil {
			return
		}
		n.counters.out.Add(res.Out.NumRows())
		n.send(r, derive(res.Out, held))
	}
}

// account counts a transform's result, routes its rejected rows and sends its
// output downstream with the tickets of the rows it came from. It reports
// false, having failed the run, when the result breaks the contract.
func (n *node) account(r *run, env *envelope, res sdk.Result, holds bool, held *[]*ticket) bool {
	if res.Out != nil && res.Out.NumRows() > 0 && !res.Out.Schema().Equal(n.Out) {
		res.Out.Release()
		r.fail(fmt.Errorf("%s: returned a batch whose schema differs from the one Open reported:\n%s\nwant:\n%s", n.Address(), res.Out.Schema(), n.Out))
		return false
	}
	rejects, err := checkRowErrors(res.Rejects, env.rows())
	if err != nil {
		if res.Out != nil {
			res.Out.Release()
		}
		r.fail(fmt.Errorf("%s: %w", n.Address(), err))
		return false
	}
	n.counters.filtered.Add(int64(res.Filtered))
	n.counters.deduplicated.Add(int64(res.Deduplicated))
	if len(rejects) > 0 {
		r.reject(n, env.rec, rejects, env.tickets)
	}
	if res.Out == nil || res.Out.NumRows() == 0 {
		if res.Out != nil {
			res.Out.Release()
		}
		if holds {
			for _, t := range env.tickets {
				t.retain()
			}
			*held = append(*held, env.tickets...)
		}
		return true
	}
	n.counters.out.Add(res.Out.NumRows())
	tickets := unionTickets(*held, env.tickets)
	out := derive(res.Out, tickets)
	for _, t := range *held {
		t.release()
	}
	*held = nil
	n.send(r, out)
	return true
}
