package batches

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sluicedata/sluice/sdk"
)

// Output returns the rows a transform's result passes on for the input
// batch in, read as package sdk documents [sdk.Result]: in filtered by Keep,
// an aligned Out without its rejected rows, or Out as it is. It returns nil
// when no row comes out. flusher says the transform implements
// [sdk.Flusher], whose Out is never aligned; rejects are the result's row
// errors, checked and sorted by row.
//
// Output takes over res.Out and res.Keep, releasing them or passing Out on.
// It returns an error, having released both, when the result breaks the
// contract: Out and Keep both set, a Keep of the wrong length, a rejected
// row that Keep keeps. The engine, the plugin side of the wire and
// sdk/plugintest all read results with it.
func Output(ctx context.Context, mem memory.Allocator, in arrow.RecordBatch, res sdk.Result, rejects []sdk.RowError, flusher bool) (arrow.RecordBatch, error) {
	rows := in.NumRows()
	if res.Keep != nil {
		defer res.Keep.Release()
		if res.Out != nil {
			res.Out.Release()
			return nil, fmt.Errorf("returned both Out and Keep; set one")
		}
		if int64(res.Keep.Len()) != rows {
			return nil, fmt.Errorf("returned a Keep of %d values for a batch of %d rows", res.Keep.Len(), rows)
		}
		for _, e := range rejects {
			if Kept(res.Keep, e.Row) {
				return nil, fmt.Errorf("rejected row %d, which its Keep keeps: a rejected row must be false in Keep", e.Row)
			}
		}
		return Select(ctx, mem, in, res.Keep)
	}
	out := res.Out
	if out == nil {
		return nil, nil
	}
	if out.NumRows() == 0 {
		out.Release()
		return nil, nil
	}
	if !flusher && len(rejects) > 0 && out.NumRows() == rows {
		kept, err := Without(ctx, mem, out, rejects)
		out.Release()
		if err != nil || kept.NumRows() == 0 {
			if kept != nil {
				kept.Release()
			}
			return nil, err
		}
		return kept, nil
	}
	return out, nil
}

// Kept reports whether keep is true at row i; a null is false.
func Kept(keep *array.Boolean, i int) bool { return keep.IsValid(i) && keep.Value(i) }

// CountKept counts the true values of keep; nulls are false.
func CountKept(keep *array.Boolean) int {
	n := keep.Len()
	if n == 0 {
		return 0
	}
	if keep.NullN() == 0 {
		return bitutil.CountSetBits(keep.Data().Buffers()[1].Bytes(), keep.Data().Offset(), n)
	}
	count := 0
	for i := range n {
		if Kept(keep, i) {
			count++
		}
	}
	return count
}

// Select returns the rows of rec where keep is true (null is false): rec
// itself, retained, when that is every row, and nil when it is none.
func Select(ctx context.Context, mem memory.Allocator, rec arrow.RecordBatch, keep *array.Boolean) (arrow.RecordBatch, error) {
	switch CountKept(keep) {
	case 0:
		return nil, nil
	case int(rec.NumRows()):
		rec.Retain()
		return rec, nil
	}
	return compute.FilterRecordBatch(compute.WithAllocator(ctx, mem), rec, keep, compute.DefaultFilterOptions())
}
