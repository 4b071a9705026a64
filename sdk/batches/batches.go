// Package batches selects and joins the rows of Arrow record batches: the
// few operations that the engine and plugins alike need when rows are
// rejected, retried or re-sliced, and [Output], which reads a transform's
// result (Keep, aligned Out) the one way the engine does. Every function
// returns a batch the caller must release, and leaves its input batches
// untouched.
package batches

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sluicedata/sluice/sdk"
)

// Without returns rec without the rows that errs name. errs must be sorted by
// row, as the engine passes them.
func Without(ctx context.Context, mem memory.Allocator, rec arrow.RecordBatch, errs []sdk.RowError) (arrow.RecordBatch, error) {
	b := array.NewBooleanBuilder(mem)
	defer b.Release()
	n := int(rec.NumRows())
	b.Reserve(n)
	next := 0
	for i := range n {
		drop := next < len(errs) && errs[next].Row == i
		if drop {
			next++
		}
		b.UnsafeAppend(!drop)
	}
	mask := b.NewArray()
	defer mask.Release()
	return compute.FilterRecordBatch(compute.WithAllocator(ctx, mem), rec, mask, compute.DefaultFilterOptions())
}

// Take returns the given rows of rec, in the given order.
func Take(ctx context.Context, mem memory.Allocator, rec arrow.RecordBatch, rows []int) (arrow.RecordBatch, error) {
	ib := array.NewInt32Builder(mem)
	ib.Reserve(len(rows))
	for _, i := range rows {
		ib.UnsafeAppend(int32(i))
	}
	indices := ib.NewArray()
	ib.Release()
	defer indices.Release()
	ctx = compute.WithAllocator(ctx, mem)
	cols := make([]arrow.Array, rec.NumCols())
	for c := range cols {
		col, err := compute.TakeArray(ctx, rec.Column(c), indices)
		if err != nil {
			release(cols[:c])
			return nil, err
		}
		cols[c] = col
	}
	out := array.NewRecordBatch(rec.Schema(), cols, int64(len(rows)))
	release(cols)
	return out, nil
}

// Concat joins batches of one schema into one batch. A single batch is
// returned as is, retained.
func Concat(mem memory.Allocator, recs []arrow.RecordBatch) (arrow.RecordBatch, error) {
	if len(recs) == 1 {
		recs[0].Retain()
		return recs[0], nil
	}
	schema := recs[0].Schema()
	var rows int64
	for _, rec := range recs {
		rows += rec.NumRows()
	}
	cols := make([]arrow.Array, schema.NumFields())
	parts := make([]arrow.Array, len(recs))
	for c := range cols {
		for i, rec := range recs {
			parts[i] = rec.Column(c)
		}
		col, err := array.Concatenate(parts, mem)
		if err != nil {
			release(cols[:c])
			return nil, err
		}
		cols[c] = col
	}
	out := array.NewRecordBatch(schema, cols, rows)
	release(cols)
	return out, nil
}

func release(arrs []arrow.Array) {
	for _, a := range arrs {
		a.Release()
	}
}
