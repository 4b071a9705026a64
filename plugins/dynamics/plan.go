package dynamics

import (
	"context"
	"errors"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sluicedata/sluice/sdk"
)

// writeMatched writes a batch through the match block.
func (s *Sink) writeMatched(ctx context.Context, rec arrow.RecordBatch) (sdk.WriteResult, error) {
	b, err := s.match.run(ctx, rec, false)
	if err != nil {
		return sdk.WriteResult{}, err
	}
	return b.result(), nil
}

// Plan says, row by row, what Write would do with a batch — create, update
// with which changes, leave unchanged, skip, collapse or reject — without
// writing anything: it sends the same lookups as Write and no write. Rows
// that earlier batches of the plan would have created are found by later
// ones. It implements sdk.Planner for `sluice plan`.
func (s *Sink) Plan(ctx context.Context, rec arrow.RecordBatch) ([]sdk.RowPlan, error) {
	if s.client == nil || s.table == nil {
		return nil, errors.New("dynamics sink: Plan before an online Open")
	}
	if s.match == nil {
		return s.planKeyed(ctx, rec)
	}
	b, err := s.match.run(ctx, rec, true)
	if err != nil {
		return nil, err
	}
	return b.plans(), nil
}
