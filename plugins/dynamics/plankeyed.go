package dynamics

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sluicedata/sluice/sdk"
)

// planKeyed plans a sink without a match block. (Filled in below.)
func (s *Sink) planKeyed(ctx context.Context, rec arrow.RecordBatch) ([]sdk.RowPlan, error) {
	out := make([]sdk.RowPlan, rec.NumRows())
	for i := range out {
		out[i] = sdk.RowPlan{Row: i, Action: sdk.PlanWrite, Table: s.table.LogicalName}
	}
	return out, nil
}
