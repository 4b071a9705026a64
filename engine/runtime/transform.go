package runtime

import (
	"fmt"

	"github.com/sluicedata/sluice/sdk"
	"github.com/sluicedata/sluice/sdk/batches"
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
	if p, ok := n.Transform.(sdk.Pipeliner); ok && p.Window() > 1 {
		n.runPipelined(r, p, p.Window(), holds, &held)
		if holds && !r.stopping() {
			n.flush(r, flusher, held)
		}
		return
	}
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
		if err == nil && res.Keep != nil {
			err = fmt.Errorf("returned Keep, which Flush cannot: it has no input batch to select from")
		}
		if err == nil && res.Out != nil && res.Out.NumRows() > 0 && !res.Out.Schema().Equal(n.Out) {
			err = fmt.Errorf("returned a batch whose schema differs from the one Open reported")
		}
		if err != nil {
			if res.Out != nil {
				res.Out.Release()
			}
			if res.Keep != nil {
				res.Keep.Release()
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
// output downstream with the tickets of the rows it came from. The output is
// Out, or the input rows Keep selects; an aligned Out loses its rejected rows
// here (see sdk.Result). It reports false, having failed the run, when the
// result breaks the contract.
func (n *node) account(r *run, env *envelope, res sdk.Result, holds bool, held *[]*ticket) bool {
	fail := func(err error) bool {
		if res.Out != nil {
			res.Out.Release()
		}
		if res.Keep != nil {
			res.Keep.Release()
		}
		r.fail(fmt.Errorf("%s: %w", n.Address(), err))
		return false
	}
	if res.Out != nil && res.Out.NumRows() > 0 && !res.Out.Schema().Equal(n.Out) {
		return fail(fmt.Errorf("returned a batch whose schema differs from the one Open reported:\n%s\nwant:\n%s", res.Out.Schema(), n.Out))
	}
	rejects, err := checkRowErrors(res.Rejects, env.rows())
	if err != nil {
		return fail(err)
	}
	out, err := batches.Output(r.runCtx, r.opts.Allocator, env.rec, res, rejects, holds)
	if err != nil {
		r.fail(fmt.Errorf("%s: %w", n.Address(), err))
		return false
	}
	n.counters.filtered.Add(int64(res.Filtered))
	n.counters.deduplicated.Add(int64(res.Deduplicated))
	if len(rejects) > 0 {
		r.reject(n, env.rec, rejects, env.tickets)
	}
	if out == nil {
		if holds {
			for _, t := range env.tickets {
				t.retain()
			}
			*held = append(*held, env.tickets...)
		}
		return true
	}
	n.counters.out.Add(out.NumRows())
	tickets := unionTickets(*held, env.tickets)
	next := derive(out, tickets)
	for _, t := range *held {
		t.release()
	}
	*held = nil
	n.send(r, next)
	return true
}
