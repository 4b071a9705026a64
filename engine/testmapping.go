package engine

import (
	"context"
	"errors"
	"fmt"
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
	sdk.MappingTest
}

// errTested ends a mapping test's run once the sink has been tested.
var errTested = errors.New("the mapping was tested")

// TestMapping tests a sink's mapping against its destination with one real
// row: it runs the pipeline without writing until the first row reaches the
// sink, which then writes that row as a new record, reads it back, removes
// it, and reports field by field what was stored (see [sdk.MappingTester]).
// Nothing else is written. Texts are redacted.
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
	dry := &runtime.Dry{Write: func(ctx context.Context, n *plan.Node, first int64, rec arrow.RecordBatch) (sdk.WriteResult, error) {
		// The batch holding the sink's first row (first = -1: a sync sink's
		// changed rows, whose numbers are not known).
		if n != target || rec.NumRows() == 0 || first > 0 {
			return sdk.WriteResult{}, nil
		}
		once.Do(func() {
			row := rec.NewSlice(0, 1)
			defer row.Release()
			res, err := tester.TestMapping(ctx, row)
			report, testErr, tested = MappingTestReport{Sink: n.Address(), MappingTest: p.redactTest(res)}, err, true
			cancel(errTested)
		})
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
	}
	return report, fmt.Errorf("no row reached %s: the input is empty, or every row was filtered out or rejected before it", target.Address())
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
