package dedupe

import (
	"context"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sluicedata/sluice/sdk"
	"github.com/sluicedata/sluice/sdk/batches"
	"github.com/sluicedata/sluice/sdk/rowexpr"
)

// holder keeps the winning row of every key for keep = last, greatest or
// least: the input batches that still hold a winner, and, per winner, where
// it is and the value it won by. A batch is released as soon as it holds no
// winner, so memory follows the distinct rows, not the input.
type holder struct {
	keep   string
	hasher keyHasher

	held      []arrow.RecordBatch
	live      []int32 // winners each held batch still holds
	heldBytes int64

	byKey map[keyHash]int32 // key → winner
	batch []int32           // winner → its batch
	row   []int32           // winner → its row in the batch
	order *orderColumn      // winner → its order value; nil for keep = last

	// flushRows lists the winning rows of each held batch once Flush has
	// started; flushNext is the next batch to emit.
	flushRows [][]int
	flushNext int
}

func newHolder(keep string, order *orderColumn) *holder {
	return &holder{keep: keep, hasher: newKeyHasher(), byKey: map[keyHash]int32{}, order: order}
}

// add takes in's rows — eval gives each row's key and, but for keep = last,
// order value — and reports how many rows it collapsed and which it
// rejected.
func (h *holder) add(in arrow.RecordBatch, eval *rowexpr.Evaluator) sdk.Result {
	var res sdk.Result
	in.Retain()
	bi := int32(len(h.held))
	h.held = append(h.held, in)
	h.live = append(h.live, 0)
	h.heldBytes += batches.Size(in)
	res.Rejects = eval.Rows(in, func(row int, results []any) {
		var order any
		if h.order != nil {
			order = results[1]
		}
		key, ok := h.hasher.hash(results[0])
		i, seen := h.byKey[key]
		if !ok || !seen {
			// A new key, or a row with no key, which is never a duplicate.
			if ok {
				h.byKey[key] = int32(len(h.batch))
			}
			h.batch = append(h.batch, bi)
			h.row = append(h.row, int32(row))
			if h.order != nil {
				h.order.append(order)
			}
			h.live[bi]++
			return
		}
		res.Deduplicated++
		if !h.beats(order, int(i)) {
			return
		}
		h.lose(h.batch[i])
		h.batch[i], h.row[i] = bi, int32(row)
		if h.order != nil {
			h.order.set(int(i), order)
		}
		h.live[bi]++
	})
	if h.live[bi] == 0 {
		h.release(bi)
	}
	return res
}

// beats reports whether a later row with the given order value replaces
// winner i. Ties keep the earlier row.
func (h *holder) beats(order any, i int) bool {
	switch h.keep {
	case "last":
		return true
	case "greatest":
		return h.order.compare(order, i) > 0
	default:
		return h.order.compare(order, i) < 0
	}
}

// lose notes that held batch bi lost a winner. It is released once it holds
// none, unless it is the batch being added, which add releases at the end.
func (h *holder) lose(bi int32) {
	h.live[bi]--
	if h.live[bi] == 0 && int(bi) < len(h.held)-1 {
		h.release(bi)
	}
}

func (h *holder) release(bi int32) {
	if h.held[bi] != nil {
		h.heldBytes -= batches.Size(h.held[bi])
		h.held[bi].Release()
		h.held[bi] = nil
	}
}

// next returns the winners of the next held batch, in input order, or nil
// when every winner has been returned.
func (h *holder) next(ctx context.Context, mem memory.Allocator) (arrow.RecordBatch, error) {
	if h.flushRows == nil {
		h.flushRows = make([][]int, len(h.held))
		for i, bi := range h.batch {
			h.flushRows[bi] = append(h.flushRows[bi], int(h.row[i]))
		}
		h.byKey, h.batch, h.row, h.order = nil, nil, nil, nil
	}
	for ; h.flushNext < len(h.held); h.flushNext++ {
		bi, rows := h.flushNext, h.flushRows[h.flushNext]
		if len(rows) == 0 {
			continue
		}
		slices.Sort(rows)
		h.flushRows[bi] = nil
		h.flushNext++
		defer h.release(int32(bi))
		if len(rows) == int(h.held[bi].NumRows()) {
			h.held[bi].Retain()
			return h.held[bi], nil
		}
		return batches.Take(ctx, mem, h.held[bi], rows)
	}
	return nil, nil
}

// bytes estimates the memory held: the batches that hold winners, and the
// bookkeeping per key and per winner.
func (h *holder) bytes() int64 {
	n := h.heldBytes + int64(len(h.byKey))*keyEntryBytes + int64(len(h.batch))*8
	if h.order != nil {
		n += h.order.bytes()
	}
	return n
}

// keyEntryBytes is roughly what one entry of a map from 16-byte keys to
// int32 takes, buckets included.
const keyEntryBytes = 32

// close releases every held batch.
func (h *holder) close() {
	for i := range h.held {
		h.release(int32(i))
	}
}
