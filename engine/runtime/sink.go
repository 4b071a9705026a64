package runtime

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sluicedata/sluice/engine/state"
	"github.com/sluicedata/sluice/sdk"
	"github.com/sluicedata/sluice/sdk/batches"
)

func (n *node) runSink(r *run) {
	writes := make(chan *envelope, n.Writes.InFlight)
	var wg sync.WaitGroup
	for range n.Writes.InFlight {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for env := range writes {
				if r.stopping() {
					env.release()
					continue
				}
				n.write(r, env)
			}
		}()
	}
	n.rebatch(r, writes)
	close(writes)
	wg.Wait()
	ctx := context.WithoutCancel(r.runCtx)
	if n.sync != nil && r.opts.Dry == nil {
		n.finishSync(ctx, r)
	}
	if a, ok := n.Sink.(sdk.Aborter); ok && (r.err() != nil || r.opts.Dry != nil) {
		if err := a.Abort(ctx); err != nil {
			r.opts.Logger.Warn("discarding output of failed run", "node", n.Address(), "error", err)
		}
		return
	}
	if err := n.Sink.Close(ctx); err != nil && !r.stopping() {
		r.fail(fmt.Errorf("%s: close: %w", n.Address(), err))
	}
}

// finishSync saves the rows a sync sink confirmed — after a failure or an
// interruption too: they were written — and, when this run read its whole
// input and wrote it, acts on the rows that left it.
func (n *node) finishSync(ctx context.Context, r *run) {
	complete := r.err() == nil && r.readCtx.Err() == nil
	if err := n.sync.save(ctx, complete); err != nil {
		r.fail(fmt.Errorf("%s: saving the sync snapshot: %w", n.Address(), err))
		return
	}
	if !complete {
		return // the input is not complete, so nothing has left it
	}
	if err := n.sync.leave(r.runCtx, r); err != nil {
		r.fail(fmt.Errorf("%s: %w", n.Address(), err))
	}
}

// rebatch re-slices the sink's input into batches of its batch size, joining
// small batches and splitting large ones, and passes them to the writers.
func (n *node) rebatch(r *run, out chan<- *envelope) {
	maxRows, maxBytes := n.Writes.Rows, n.Writes.Bytes
	// Either limit may be zero, for none (a plugin that declares only the
	// most rows it takes has no limit in bytes), but not both.
	rowLimit, byteLimit := maxRows, maxBytes
	if rowLimit == 0 {
		rowLimit = math.MaxInt
	}
	if byteLimit == 0 {
		byteLimit = math.MaxInt64
	}
	var (
		pieces  []arrow.RecordBatch
		tickets []*ticket
		entries []state.Entry
		rows    int
		bytes   int64
		// seen is the number of rows passed on so far, which numbers the
		// rows of each batch; a sync sink's rows, only those that changed,
		// are not numbered (-1).
		seen int64
	)
	flush := func() {
		if rows == 0 {
			return
		}
		rec, err := batches.Concat(r.opts.Allocator, pieces)
		for _, p := range pieces {
			p.Release()
		}
		env := &envelope{rec: rec, tickets: tickets, entries: entries, first: seen}
		seen += int64(rows)
		if n.sync != nil {
			env.first = -1
		}
		pieces, tickets, entries, rows, bytes = nil, nil, nil, 0, 0
		if err != nil {
			r.fail(fmt.Errorf("%s: joining batches: %w", n.Address(), err))
			env.release()
			return
		}
		select {
		case out <- env:
		case <-r.runCtx.Done():
			env.release()
		}
	}
	for env := range n.in {
		if r.stopping() {
			env.release()
			continue
		}
		total := env.rows()
		n.counters.in.Add(int64(total))
		n.counters.batches.Add(1)
		if n.sync != nil {
			// Only new and changed rows go on, gathered into full batches:
			// a sync that changes 1% of the rows sends 1% of the requests.
			if env = n.changedRows(r, env); env == nil {
				continue
			}
			total = env.rows()
		}
		if maxRows == 0 && maxBytes == 0 {
			// The sink takes batches of any size.
			env.first = seen
			seen += int64(total)
			if n.sync != nil {
				env.first = -1
			}
			select {
			case out <- env:
			case <-r.runCtx.Done():
				env.release()
			}
			continue
		}
		perRow := batches.Size(env.rec) / int64(max(total, 1))
		for off := 0; off < total; {
			take := min(rowLimit-rows, total-off)
			if perRow > 0 {
				take = max(1, min(take, int(min((byteLimit-bytes)/perRow, int64(math.MaxInt)))))
			}
			var piece arrow.RecordBatch
			if off == 0 && take == total {
				env.rec.Retain()
				piece = env.rec
			} else {
				piece = env.rec.NewSlice(int64(off), int64(off+take))
			}
			pieces = append(pieces, piece)
			if env.entries != nil {
				entries = append(entries, env.entries[off:off+take]...)
			}
			for _, t := range env.tickets {
				t.retain()
			}
			tickets = append(tickets, env.tickets...)
			rows += take
			bytes += int64(take) * perRow
			off += take
			if rows >= rowLimit || bytes >= byteLimit {
				flush()
			}
		}
		env.release()
	}
	if !r.stopping() {
		flush()
	} else {
		(&envelope{tickets: tickets}).release()
		for _, p := range pieces {
			p.Release()
		}
	}
}

// changedRows keeps the rows of env that are new or changed since the last
// run, with their snapshot entries, and counts the others as unchanged. It
// returns nil, having released env, when no row changed.
func (n *node) changedRows(r *run, env *envelope) *envelope {
	changed, entries, unchanged, err := n.sync.filter(r, env.rec)
	if err != nil {
		r.fail(fmt.Errorf("%s: comparing rows with the sync snapshot: %w", n.Address(), err))
		env.release()
		return nil
	}
	n.counters.out.Add(int64(unchanged))
	n.counters.unchanged.Add(int64(unchanged))
	if changed == nil {
		env.release()
		return nil
	}
	env.rec.Release()
	env.rec, env.entries = changed, entries
	return env
}

// write writes one batch — for a sync sink, rows that are new or changed —
// and accounts for every row.
func (n *node) write(r *run, env *envelope) {
	defer env.release()
	n.writeRows(r, env, env.rec, env.entries)
}

// writeRows writes rec, writing rows again while the sink reports them as
// failed transiently and the retry policy allows, and accounts for every
// row. entries, for a sync sink, are the snapshot entries of rec's rows: those
// of the rows written are confirmed.
func (n *node) writeRows(r *run, env *envelope, rec arrow.RecordBatch, entries []state.Entry) {
	policy := r.opts.Retry
	base := rec
	var index []int // index[i] is the row of base that row i of rec is
	failed := map[int]bool{}
	defer func() {
		if rec != base {
			rec.Release()
		}
	}()
	for attempt := 1; ; attempt++ {
		res, err := n.sinkWrite(r, env, rec)
		if err != nil {
			if !r.stopping() {
				r.fail(fmt.Errorf("%s: write: %w", n.Address(), err))
			}
			return
		}
		rows := int(rec.NumRows())
		rejects, err := checkRowErrors(res.Rejects, rows)
		if err == nil && res.Skipped+res.Deduplicated+len(rejects) > rows {
			err = fmt.Errorf("reported %d skipped, %d deduplicated and %d rejected rows in a batch of %d", res.Skipped, res.Deduplicated, len(rejects), rows)
		}
		if err != nil {
			r.fail(fmt.Errorf("%s: write: %w", n.Address(), err))
			return
		}
		c := &n.counters
		c.out.Add(int64(rows - len(rejects) - res.Skipped - res.Deduplicated))
		c.skipped.Add(int64(res.Skipped))
		c.deduplicated.Add(int64(res.Deduplicated))
		c.created.Add(int64(res.Created))
		c.updated.Add(int64(res.Updated))
		c.unchanged.Add(int64(res.Unchanged))
		c.deleted.Add(int64(res.Deleted))

		var retry, final []sdk.RowError
		var wait time.Duration
		for _, e := range rejects {
			if index != nil {
				e.Row = index[e.Row]
			}
			switch {
			case e.Retryable && attempt < policy.Attempts:
				retry = append(retry, e)
				wait = max(wait, e.RetryAfter)
			case e.Retryable:
				e.Message = fmt.Sprintf("%s (gave up after %d attempts)", e.Message, attempt)
				final = append(final, e)
			default:
				final = append(final, e)
			}
		}
		for _, e := range final {
			failed[e.Row] = true
		}
		if len(final) > 0 {
			r.reject(n, base, final, env.tickets)
		}
		if len(retry) == 0 {
			break
		}
		c.retried.Add(int64(len(retry)))
		wait = max(wait, backoff(policy, attempt))
		select {
		case <-time.After(wait):
		case <-r.runCtx.Done():
			return
		}
		index = make([]int, len(retry))
		for i, e := range retry {
			index[i] = e.Row
		}
		next, err := batches.Take(context.Background(), r.opts.Allocator, base, index)
		if err != nil {
			r.fail(fmt.Errorf("%s: selecting rows to retry: %w", n.Address(), err))
			return
		}
		if rec != base {
			rec.Release()
		}
		rec = next
	}
	if entries != nil {
		confirmed := make([]state.Entry, 0, len(entries))
		for i, e := range entries {
			if !failed[i] {
				confirmed = append(confirmed, e)
			}
		}
		n.sync.confirm(confirmed)
	}
}

// backoff is the wait before retry number attempt: exponential, with jitter.
func backoff(p RetryPolicy, attempt int) time.Duration {
	d := p.Backoff << (attempt - 1)
	if d > p.MaxBackoff || d <= 0 {
		d = p.MaxBackoff
	}
	return d/2 + rand.N(d/2+1)
}
