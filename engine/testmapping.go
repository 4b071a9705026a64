package engine

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sluicedata/sluice/engine/plan"
	"github.com/sluicedata/sluice/engine/runtime"
	"github.com/sluicedata/sluice/sdk"
)

// TestMappingOptions configure TestMapping.
type TestMappingOptions struct {
	// Sink names the sink to test, as "contacts" or "sink.contacts". It may
	// be empty when one sink only can test its mapping.
	Sink string
}

// MappingTestReport is the outcome of TestMapping.
type MappingTestReport struct {
	// Sink is the address of the sink tested.
	Sink string
	// Row is the number of the row tested among the rows the sink
	// received, from 0; -1 when it is not known (a sink with a sync block
	// receives only the rows that changed).
	Row int64
	// Passed counts by planned action the rows before Row that were not
	// tested because the sink's plan would not create a record from them
	// (they would update one, or be rejected …); empty when the first row
	// was tested.
	Passed map[sdk.PlanAction]int
	sdk.MappingTest
}

// errTested ends a mapping test's run once the sink has been tested.
var errTested = errors.New("the mapping was tested")

// TestMapping tests a sink's mapping against its destination with one real
// row: it runs the pipeline without writing until a row reaches the sink
// that the sink can write as a new record, which the sink then writes,
// reads back and removes, reporting field by field what was stored (see
// [sdk.MappingTester]). Nothing else is written. Texts are redacted.
//
// The row is the first the sink's plan would create a record from (or
// cannot say, [sdk.PlanWrite]), when the sink is an [sdk.Planner]: a row
// whose record exists already (its key taken, its match found) would make a
// duplicate, or fail on the key. Its
// batches are planned in input order until one holds such a row; an input
// none of whose rows would create a record is an error saying what the
// plan would do instead. Other sinks test the first row.
func (p *Pipeline) TestMapping(ctx context.Context, opts TestMappingOptions) (MappingTestReport, error) {
	pl, stop, err := p.plan(ctx, false)
	if err != nil {
		return MappingTestReport{}, err
	}
	defer stop()
	defer pl.Close(context.WithoutCancel(ctx))
	target, tester, err := mappingTester(pl, opts.Sink)
	if err != nil {
		return MappingTestReport{}, err
	}
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var once sync.Once
	var report MappingTestReport
	var testErr error
	tested := false
	test := func(ctx context.Context, n *plan.Node, rec arrow.RecordBatch, first int64, i int, passed map[sdk.PlanAction]int) {
		once.Do(func() {
			row := rec.NewSlice(int64(i), int64(i)+1)
			defer row.Release()
			res, err := tester.TestMapping(ctx, row)
			at := int64(-1)
			if first >= 0 {
				at = first + int64(i)
			}
			report, testErr, tested = MappingTestReport{Sink: n.Address(), Row: at, Passed: passed, MappingTest: p.redactTest(res)}, err, true
			cancel(errTested)
		})
	}
	planner, _ := target.Sink.(sdk.Planner)
	order := &inOrder{moved: make(chan struct{})}
	passed := map[sdk.PlanAction]int{}
	dry := &runtime.Dry{Write: func(ctx context.Context, n *plan.Node, first int64, rec arrow.RecordBatch) (sdk.WriteResult, error) {
		if n != target || rec.NumRows() == 0 {
			return sdk.WriteResult{}, nil
		}
		if planner == nil {
			// The batch holding the sink's first row (first = -1: a sync
			// sink's changed rows, whose numbers are not known).
			if first <= 0 {
				test(ctx, n, rec, first, 0, nil)
			}
			return sdk.WriteResult{}, nil
		}
		// Batches are planned one at a time, in input order, so that the
		// row tested is the first that would create a record, and each
		// batch is planned knowing what the earlier ones would do.
		if err := order.wait(ctx, first); err != nil {
			return sdk.WriteResult{}, nil // the test is done, or the run stopped
		}
		defer order.done(first, rec.NumRows())
		if ctx.Err() != nil {
			return sdk.WriteResult{}, nil
		}
		rows, err := planBatch(ctx, n, rec)
		if err != nil {
			return sdk.WriteResult{}, err
		}
		slices.SortFunc(rows, func(a, b sdk.RowPlan) int { return a.Row - b.Row })
		for _, r := range rows {
			// A row the sink cannot say more about (write) may create.
			if r.Action == sdk.PlanCreate || r.Action == sdk.PlanWrite {
				test(ctx, n, rec, first, r.Row, maps.Clone(passed))
				break
			}
			passed[r.Action]++
		}
		return sdk.WriteResult{}, nil
	}}
	_, runErr := runtime.Run(runCtx, pl, runtime.Options{
		Allocator: p.engine.alloc,
		Logger:    p.logger(),
		Redactor:  p.redactor,
		Grace:     time.Second,
		Dry:       dry,
	})
	switch {
	case tested && testErr != nil:
		return report, p.redactor.Error(fmt.Errorf("%s: test-mapping: %w", target.Address(), testErr))
	case tested:
		return report, nil
	case runErr != nil && ctx.Err() == nil:
		return report, runErr
	case ctx.Err() != nil:
		return report, ctx.Err()
	case len(passed) > 0:
		return report, fmt.Errorf("%s: no row would create a record: of the %s that reached it, the plan says %s (`sluice plan` shows why, row by row). test-mapping creates a new record from a row whose record does not exist yet, so that it takes no existing record's key: add such a row to the input", target.Address(), countRows(passed), describeActions(passed))
	}
	return report, fmt.Errorf("no row reached %s: the input is empty, or every row was filtered out or rejected before it", target.Address())
}

// inOrder lets batches through one at a time, in the order of their first
// rows; batches whose rows are not numbered (first = -1) one at a time, in
// any order. A batch waits only for batches before it, which the runtime
// hands to the sink's writers first, so it never waits for ever.
type inOrder struct {
	mu    sync.Mutex
	next  int64
	moved chan struct{} // closed when next moves
	one   sync.Mutex
}

// wait waits for the turn of the batch whose first row is first.
func (o *inOrder) wait(ctx context.Context, first int64) error {
	for first >= 0 {
		o.mu.Lock()
		next, moved := o.next, o.moved
		o.mu.Unlock()
		if next == first {
			break
		}
		select {
		case <-moved:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	o.one.Lock()
	return nil
}

// done ends the turn of the batch whose first row is first.
func (o *inOrder) done(first, rows int64) {
	o.one.Unlock()
	if first < 0 {
		return
	}
	o.mu.Lock()
	o.next = first + rows
	close(o.moved)
	o.moved = make(chan struct{})
	o.mu.Unlock()
}

// planOrder is the order in which plan actions are listed.
var planOrder = []sdk.PlanAction{sdk.PlanCreate, sdk.PlanUpdate, sdk.PlanUnchanged, sdk.PlanDelete, sdk.PlanSkip, sdk.PlanDeduplicated, sdk.PlanReject, sdk.PlanWrite}

// describeActions lists rows by action: "5 update, 1 unchanged".
func describeActions(counts map[sdk.PlanAction]int) string {
	var parts []string
	for _, a := range planOrder {
		if counts[a] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[a], a))
		}
	}
	return strings.Join(parts, ", ")
}

// countRows says how many rows counts holds: "7 rows".
func countRows(counts map[sdk.PlanAction]int) string {
	n := 0
	for _, c := range counts {
		n += c
	}
	if n == 1 {
		return "1 row"
	}
	return fmt.Sprintf("%d rows", n)
}

// mappingTester finds the sink to test.
func mappingTester(pl *plan.Plan, name string) (*plan.Node, sdk.MappingTester, error) {
	var all []string
	var found *plan.Node
	for _, n := range pl.Nodes {
		if _, ok := n.Sink.(sdk.MappingTester); !ok || len(n.RejectsFrom) > 0 {
			continue
		}
		all = append(all, n.Address())
		if name == "" || name == n.Address() || name == n.Config.Name {
			if found != nil && name == "" {
				return nil, nil, fmt.Errorf("several sinks can test their mapping (%s): name one with --sink", strings.Join(all, ", "))
			}
			found = n
		}
	}
	switch {
	case found != nil:
		return found, found.Sink.(sdk.MappingTester), nil
	case len(all) == 0:
		return nil, nil, errors.New("no sink of the pipeline can test its mapping (the Dynamics sink can)")
	}
	return nil, nil, fmt.Errorf("no sink %q can test its mapping; those that can: %s", name, strings.Join(all, ", "))
}

// redactTest removes the pipeline's secrets from a mapping test's texts.
func (p *Pipeline) redactTest(t sdk.MappingTest) sdk.MappingTest {
	t.Cleanup = p.redactor.String(t.Cleanup)
	for i, f := range t.Fields {
		f.Sent, f.Stored, f.Note = p.redactValue(f.Sent), p.redactValue(f.Stored), p.redactor.String(f.Note)
		t.Fields[i] = f
	}
	for i, n := range t.Notes {
		t.Notes[i] = p.redactor.String(n)
	}
	return t
}
