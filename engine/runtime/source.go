package runtime

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/sluicedata/sluice/sdk"
	"github.com/sluicedata/sluice/sdk/batches"
)

func (n *node) runSource(r *run) {
	from := r.opts.Resume[n.Address()]
	err := n.Source.Read(r.readCtx, from, &emitter{n: n, r: r})
	if err != nil && !(errors.Is(err, context.Canceled) && r.readCtx.Err() != nil) && !r.stopping() {
		r.fail(fmt.Errorf("%s: read: %w", n.Address(), err))
	}
}

// emitter receives a source's batches.
type emitter struct {
	n *node
	r *run
}

func (e *emitter) Emit(ctx context.Context, b sdk.Batch) error {
	n, r := e.n, e.r
	if err := r.readCtx.Err(); err != nil {
		return err
	}
	if b.Record == nil {
		return fmt.Errorf("emitted a batch without a record")
	}
	if !b.Record.Schema().Equal(n.Out) {
		return fmt.Errorf("emitted a batch whose schema differs from the one Open reported:\n%s\nwant:\n%s", b.Record.Schema(), n.Out)
	}
	rejects, err := checkRowErrors(b.Rejects, int(b.Record.NumRows()))
	if err != nil {
		return err
	}
	rows := b.Record.NumRows()
	n.counters.in.Add(rows)
	n.counters.batches.Add(1)
	t := n.tracker.issue(b.Checkpoint)
	defer t.release()

	rec := b.Record
	rec.Retain()
	if len(rejects) > 0 {
		r.reject(n, rec, rejects, []*ticket{t})
		kept, err := batches.Without(context.Background(), r.opts.Allocator, rec, rejects)
		rec.Release()
		if err != nil {
			return err
		}
		rec = kept
	}
	n.counters.out.Add(rec.NumRows())
	if rec.NumRows() == 0 {
		rec.Release()
		return nil
	}
	n.send(r, derive(rec, []*ticket{t}))
	return r.readCtx.Err()
}

// checkRowErrors sorts row errors by row and checks that they name rows of
// a batch of n rows, each at most once.
func checkRowErrors(errs []sdk.RowError, n int) ([]sdk.RowError, error) {
	if len(errs) == 0 {
		return nil, nil
	}
	if !slices.IsSortedFunc(errs, byRow) {
		errs = slices.Clone(errs)
		slices.SortStableFunc(errs, byRow)
	}
	for i, e := range errs {
		if e.Row < 0 || e.Row >= n {
			return nil, fmt.Errorf("a row error names row %d of a batch of %d rows", e.Row, n)
		}
		if i > 0 && errs[i-1].Row == e.Row {
			return nil, fmt.Errorf("two row errors name row %d", e.Row)
		}
	}
	return errs, nil
}

func byRow(a, b sdk.RowError) int { return a.Row - b.Row }
