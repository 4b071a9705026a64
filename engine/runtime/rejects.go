package runtime

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"

	"github.com/sluicedata/sluice/engine/plan"
	"github.com/sluicedata/sluice/sdk"
)

// reject routes rows of rec that node from could not handle: to its rejects
// sink with the reasons, or, without one, to the log while max_rejects allows
// and otherwise to a failed run. The rejected rows hold tickets until they
// are written, so a checkpoint never passes a row that is not yet in the
// rejects sink.
func (r *run) reject(from *node, rec arrow.RecordBatch, errs []sdk.RowError, tickets []*ticket) {
	total := from.counters.rejected.Add(int64(len(errs)))
	limit := from.Config.MaxRejects
	first := errs[0]
	if from.rejects == nil {
		if limit >= 0 && total <= limit {
			for _, e := range errs {
				r.opts.Logger.Warn("row rejected", slog.String("node", from.Address()), slog.String("code", e.Code), slog.String("reason", r.opts.Redactor.String(e.Message)))
			}
			return
		}
		r.fail(fmt.Errorf("%s rejected a row (%s): %s\n\nAdd `rejects = sink.<name>` to %s to send rejected rows, with their reasons, to a sink and keep going, or `max_rejects = <n>` to tolerate a number of them",
			from.Address(), first.Code, first.Message, from.Address()))
		return
	}
	out, err := r.rejectRecord(from, rec, errs)
	if err != nil {
		r.fail(fmt.Errorf("%s: building rejected rows: %w", from.Address(), err))
		return
	}
	env := derive(out, tickets)
	select {
	case from.rejects.in <- env:
	case <-r.runCtx.Done():
		env.release()
	}
	if limit >= 0 && total > limit {
		r.fail(fmt.Errorf("%s rejected %d rows, more than max_rejects = %d; the last: %s", from.Address(), total, limit, first.Message))
	}
}

// rejectRecord builds the batch of rejected rows in the rejects sink's schema:
// the rows' columns (cast to text where the sink's schema merges columns of
// different types; null where the rejecting node has no such column), and
// the reject columns.
func (r *run) rejectRecord(from *node, rec arrow.RecordBatch, errs []sdk.RowError) (arrow.RecordBatch, error) {
	mem := r.opts.Allocator
	ctx := compute.WithAllocator(context.Background(), mem)
	schema := from.rejects.In
	rows := make([]int32, len(errs))
	for i, e := range errs {
		rows[i] = int32(e.Row)
	}
	ib := array.NewInt32Builder(mem)
	ib.AppendValues(rows, nil)
	indices := ib.NewArray()
	ib.Release()
	defer indices.Release()

	nReject := len(plan.RejectColumns)
	cols := make([]arrow.Array, 0, schema.NumFields())
	release := func() {
		for _, c := range cols {
			c.Release()
		}
	}
	for _, f := range schema.Fields()[:schema.NumFields()-nReject] {
		idx := rec.Schema().FieldIndices(f.Name)
		if len(idx) == 0 {
			cols = append(cols, array.MakeArrayOfNull(mem, f.Type, len(errs)))
			continue
		}
		taken, err := compute.TakeArray(ctx, rec.Column(idx[0]), indices)
		if err != nil {
			release()
			return nil, err
		}
		if !arrow.TypeEqual(taken.DataType(), f.Type) {
			cast, err := compute.CastToType(ctx, taken, f.Type)
			taken.Release()
			if err != nil {
				release()
				return nil, fmt.Errorf("column %q: %w", f.Name, err)
			}
			taken = cast
		}
		cols = append(cols, taken)
	}
	node, code, reason := array.NewStringBuilder(mem), array.NewStringBuilder(mem), array.NewStringBuilder(mem)
	defer node.Release()
	defer code.Release()
	defer reason.Release()
	for _, e := range errs {
		node.Append(from.Address())
		code.Append(e.Code)
		reason.Append(r.opts.Redactor.String(e.Message))
	}
	cols = append(cols, node.NewArray(), code.NewArray(), reason.NewArray())
	out := array.NewRecordBatch(schema, cols, int64(len(errs)))
	release()
	return out, nil
}
