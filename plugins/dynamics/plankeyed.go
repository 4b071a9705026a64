package dynamics

import (
	"context"
	"fmt"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sluicedata/sluice/sdk"
)

// A sink without a match block writes blindly by its key. To plan it, or to
// test its mapping, it is seen as a match block with one rule — its key —
// whose outcome is what a blind write does: an upsert creates or updates,
// an update or a delete of a missing record is skipped or rejected as
// on_missing says, every value is written, nulls included.

// keyedState is that match block, built on first use.
type keyedState struct {
	once sync.Once
	m    *matcher
	err  error
}

// keyedMatch returns the match block a sink without one is planned with.
func (s *Sink) keyedMatch(ctx context.Context) (*matcher, error) {
	s.keyed.once.Do(func() { s.keyed.m, s.keyed.err = s.buildKeyedMatch(ctx) })
	return s.keyed.m, s.keyed.err
}

func (s *Sink) buildKeyedMatch(ctx context.Context) (*matcher, error) {
	mc := &MatchConfig{Search: searchRules, OnMultiple: multipleReject, OnMatch: onMatchUpdate, OnNone: onNoneCreate, Keep: keepLast}
	if len(s.cfg.Key) > 0 {
		mc.Rules = []RuleConfig{{Name: "key", Equals: s.cfg.Key, Compare: compareInsensitive}}
	}
	switch s.cfg.Operation {
	case opUpdate, opDelete:
		mc.OnNone = s.cfg.OnMissing
		if s.cfg.Operation == opDelete {
			mc.OnMatch = onMatchDelete
		}
	}
	m, diags := compileMatcher(s, mc, &MergeConfig{Update: updateOverwrite, Empty: emptyWrite}, nil, s.mapping, s.in)
	if diags.HasErrors() {
		return nil, diags
	}
	m.noneCode, m.withKey = codeMissing, true
	ds, err := m.bind(ctx, s.table, s.mapping, constantEvaluator(s.in, memory.NewGoAllocator()))
	if err != nil {
		return nil, err
	}
	if ds.HasErrors() {
		return nil, ds
	}
	return m, nil
}

// planKeyed plans a sink without a match block: every row is looked up by
// its key, as a match block with one rule would, and reported as what a
// blind write does with it.
func (s *Sink) planKeyed(ctx context.Context, rec arrow.RecordBatch) ([]sdk.RowPlan, error) {
	m, err := s.keyedMatch(ctx)
	if err != nil {
		if classify(err) == failFatal {
			if _, isDiag := err.(sdk.Diagnostics); !isDiag {
				return nil, err
			}
		}
		out := make([]sdk.RowPlan, rec.NumRows())
		for i := range out {
			out[i] = sdk.RowPlan{Row: i, Action: sdk.PlanWrite, Table: s.table.LogicalName,
				Reason: fmt.Sprintf("the sink cannot look rows up by this key to plan them: %v", err)}
		}
		return out, nil
	}
	b, err := m.run(ctx, rec, true)
	if err != nil {
		return nil, err
	}
	plans := b.plans()
	for i := range plans {
		if plans[i].Action == sdk.PlanUnchanged {
			plans[i].Action = sdk.PlanUpdate
			plans[i].Reason = "no field differs, but the row is written anyway: only a match block skips unchanged rows"
		}
	}
	return plans, nil
}
