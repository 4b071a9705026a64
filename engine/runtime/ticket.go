package runtime

import (
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sluicedata/sluice/engine/state"
	"github.com/sluicedata/sluice/sdk"
)

// ticket tracks one source batch until every row derived from it is resolved.
type ticket struct {
	seq        int64
	checkpoint sdk.Checkpoint
	holds      atomic.Int64
	tracker    *tracker
}

func (t *ticket) retain() { t.holds.Add(1) }

func (t *ticket) release() {
	if t.holds.Add(-1) == 0 {
		t.tracker.resolved(t)
	}
}

// tracker commits a source's checkpoints in the order of its batches.
type tracker struct {
	mu        sync.Mutex
	next      int64 // seq of the next batch to be emitted
	done      map[int64]*ticket
	committed int64 // seq of the last batch whose checkpoint is committed, -1 before any
	// checkpoint is the last committed checkpoint; commit is called with each
	// newly committed one.
	checkpoint sdk.Checkpoint
	commit     func(sdk.Checkpoint)
	// halted reports that the run is being torn down (run.stopping).
	halted func() bool
}

func newTracker(commit func(sdk.Checkpoint), halted func() bool) *tracker {
	return &tracker{done: map[int64]*ticket{}, committed: -1, commit: commit, halted: halted}
}

// issue returns a ticket for the next batch, held once for the caller.
func (tr *tracker) issue(cp sdk.Checkpoint) *ticket {
	tr.mu.Lock()
	t := &ticket{seq: tr.next, checkpoint: cp, tracker: tr}
	tr.next++
	tr.mu.Unlock()
	t.holds.Store(1)
	return t
}

// resolved records that every row derived from t's batch is resolved, and
// commits the checkpoints of the batches resolved in order so far.
//
// Once the run is being torn down — a node failed, or the grace period
// ran out — nothing more is committed: batches are then released without
// their rows being written (the one that failed, those still queued), and
// their tickets resolve all the same. Every such release comes after the
// teardown began (run.fail cancels the run before the failed batch is
// released; the others are released because it did), so checking here
// keeps a checkpoint from passing a row that was never written. A batch
// that was written just as the run failed may lose its checkpoint too,
// which only means the next run reads it again.
func (tr *tracker) resolved(t *ticket) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if tr.halted != nil && tr.halted() {
		return
	}
	tr.done[t.seq] = t
	advanced := false
	for {
		next, ok := tr.done[tr.committed+1]
		if !ok {
			break
		}
		delete(tr.done, next.seq)
		tr.committed = next.seq
		if next.checkpoint != nil {
			tr.checkpoint = next.checkpoint
			advanced = true
		}
	}
	if advanced && tr.commit != nil {
		tr.commit(tr.checkpoint)
	}
}

// pending reports how many issued batches are not yet committed.
func (tr *tracker) pending() int64 {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.next - tr.committed - 1
}

// envelope is a batch in flight with the tickets of the source batches its
// rows come from. Whoever holds an envelope releases it exactly once.
type envelope struct {
	rec     arrow.RecordBatch
	tickets []*ticket
	// first is, for a batch a sink writes, the number of its first row
	// among the rows the sink received.
	first int64
	// entries are, at a sync sink, the snapshot entries of rec's rows.
	entries []state.Entry
}

// derive returns a new envelope for rec, a batch derived from the rows of
// the given tickets, which it holds. It takes over the caller's reference to
// rec.
func derive(rec arrow.RecordBatch, tickets []*ticket) *envelope {
	for _, t := range tickets {
		t.retain()
	}
	return &envelope{rec: rec, tickets: tickets}
}

func (e *envelope) rows() int {
	if e.rec == nil {
		return 0
	}
	return int(e.rec.NumRows())
}

// release drops the envelope's batch and tickets.
func (e *envelope) release() {
	if e.rec != nil {
		e.rec.Release()
		e.rec = nil
	}
	for _, t := range e.tickets {
		t.release()
	}
	e.tickets = nil
}

// unionTickets merges ticket lists without duplicates, keeping order.
func unionTickets(lists ...[]*ticket) []*ticket {
	var out []*ticket
	seen := map[*ticket]bool{}
	for _, l := range lists {
		for _, t := range l {
			if !seen[t] {
				seen[t] = true
				out = append(out, t)
			}
		}
	}
	return out
}
