package engine

import (
	"context"
	"fmt"
	"os"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sluicedata/sluice/engine/plan"
	"github.com/sluicedata/sluice/engine/runtime"
	"github.com/sluicedata/sluice/engine/state"
	"github.com/sluicedata/sluice/sdk"
)

// PlanOptions configure Plan.
type PlanOptions struct {
	// Row is called with the decision about every row a sink receives, as
	// the plan goes, from several goroutines at once (the caller
	// serializes). Texts are redacted.
	Row func(PlannedRow)
	// Full makes sinks with a sync block consider every row, as
	// RunOptions.Full does.
	Full bool
}

// PlannedRow is the decision about one row of a sink's input.
type PlannedRow struct {
	// Sink is the sink's address, such as "sink.contacts".
	Sink string
	// Row is the row's number among the rows the sink received, from 0;
	// -1 when it is not known (rows of a sink with a sync block, which
	// receives only the rows that changed).
	Row  int64
	Plan sdk.RowPlan
}

// PlanSummary is what a plan found.
type PlanSummary struct {
	// Stats are the plan's run statistics: rows read, filtered, and as the
	// sinks' plans account for them.
	Stats Stats
	// Totals counts the rows of each sink by action.
	Totals map[string]map[sdk.PlanAction]int
}

// Plan does everything Run does but write: it opens every node, connecting
// sinks to their destinations, moves the data through sources and
// transforms, and asks each sink that implements [sdk.Planner] what it
// would do with every row — without writing anything. Rows of other sinks
// are reported as [sdk.PlanWrite]. No checkpoint, snapshot or run is
// recorded; sinks that can discard their output are aborted.
func (p *Pipeline) Plan(ctx context.Context, opts PlanOptions) (PlanSummary, error) {
	sum := PlanSummary{Totals: map[string]map[sdk.PlanAction]int{}}
	store, err := p.planState(ctx)
	if err != nil {
		return sum, err
	}
	defer store.Close()
	pl, stop, err := p.plan(ctx, false)
	if err != nil {
		return sum, err
	}
	defer stop()
	var mu sync.Mutex
	report := func(sink string, first int64, rows []sdk.RowPlan) {
		mu.Lock()
		defer mu.Unlock()
		totals := sum.Totals[sink]
		if totals == nil {
			totals = map[sdk.PlanAction]int{}
			sum.Totals[sink] = totals
		}
		for _, r := range rows {
			totals[r.Action]++
			if opts.Row == nil {
				continue
			}
			n := int64(-1)
			if first >= 0 {
				n = first + int64(r.Row)
			}
			opts.Row(PlannedRow{Sink: sink, Row: n, Plan: p.redactPlan(r)})
		}
	}
	dry := &runtime.Dry{Write: func(ctx context.Context, n *plan.Node, first int64, rec arrow.RecordBatch) (sdk.WriteResult, error) {
		rows, err := planBatch(ctx, n, rec)
		if err != nil {
			return sdk.WriteResult{}, err
		}
		report(n.Address(), first, rows)
		return planResult(rows), nil
	}}
	stats, runErr := runtime.Run(ctx, pl, runtime.Options{
		Allocator: p.engine.alloc,
		Logger:    p.logger(),
		Redactor:  p.redactor,
		State:     store,
		FullSync:  opts.Full,
		Dry:       dry,
	})
	if err := pl.Close(context.WithoutCancel(ctx)); err != nil && runErr == nil {
		runErr = p.redactor.Error(err)
	}
	sum.Stats = stats
	return sum, runErr
}

// planBatch asks a sink what it would do with rec: its Planner's answer,
// checked to cover every row once, or PlanWrite for every row.
func planBatch(ctx context.Context, n *plan.Node, rec arrow.RecordBatch) ([]sdk.RowPlan, error) {
	rows := int(rec.NumRows())
	planner, ok := n.Sink.(sdk.Planner)
	if !ok {
		out := make([]sdk.RowPlan, rows)
		for i := range out {
			out[i] = sdk.RowPlan{Row: i, Action: sdk.PlanWrite}
		}
		return out, nil
	}
	out, err := planner.Plan(ctx, rec)
	if err != nil {
		return nil, fmt.Errorf("%s: plan: %w", n.Address(), err)
	}
	seen := make([]bool, rows)
	for _, r := range out {
		if r.Row < 0 || r.Row >= rows || seen[r.Row] {
			return nil, fmt.Errorf("%s: plan: row %d is out of range or planned twice in a batch of %d", n.Address(), r.Row, rows)
		}
		seen[r.Row] = true
	}
	if len(out) != rows {
		return nil, fmt.Errorf("%s: plan: %d rows planned in a batch of %d", n.Address(), len(out), rows)
	}
	return out, nil
}

// planResult accounts for planned rows as a write's result would.
func planResult(rows []sdk.RowPlan) sdk.WriteResult {
	var res sdk.WriteResult
	for _, r := range rows {
		switch r.Action {
		case sdk.PlanCreate:
			res.Created++
		case sdk.PlanUpdate:
			res.Updated++
		case sdk.PlanUnchanged:
			res.Unchanged++
		case sdk.PlanDelete:
			res.Deleted++
		case sdk.PlanSkip:
			res.Skipped++
		case sdk.PlanDeduplicated:
			res.Deduplicated++
		case sdk.PlanReject:
			res.Rejects = append(res.Rejects, sdk.RowError{Row: r.Row, Code: r.Code, Message: r.Reason})
		}
	}
	return res
}

// redactPlan removes the pipeline's secrets from a row plan's texts.
func (p *Pipeline) redactPlan(r sdk.RowPlan) sdk.RowPlan {
	r.Label, r.Reason = p.redactor.String(r.Label), p.redactor.String(r.Reason)
	if len(r.Changes) > 0 {
		changes := make([]sdk.FieldChange, len(r.Changes))
		for i, c := range r.Changes {
			c.Before, c.After = p.redactValue(c.Before), p.redactValue(c.After)
			changes[i] = c
		}
		r.Changes = changes
	}
	for i := range r.Related {
		r.Related[i].Label = p.redactor.String(r.Related[i].Label)
	}
	return r
}

func (p *Pipeline) redactValue(v any) any {
	if s, ok := v.(string); ok {
		return p.redactor.String(s)
	}
	return v
}

// planState opens the pipeline's state for a plan, which reads the
// snapshots of sync sinks but saves nothing. A state file that does not
// exist yet is not created: the plan uses an empty state.
func (p *Pipeline) planState(ctx context.Context) (state.Store, error) {
	s := p.config.State
	if s.Backend == "file" {
		if _, err := os.Stat(s.Path); os.IsNotExist(err) {
			return state.NewMemory(s.Name), nil
		}
	}
	return p.State(ctx)
}
