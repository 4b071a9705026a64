package plugintest

import (
	"context"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sluicedata/sluice/sdk"
)

// TransformSuite configures the conformance cases of a transform.
type TransformSuite struct {
	Common
	// Input builds the batches the cases process, all of one schema, with
	// mem. The suite releases them.
	Input func(mem memory.Allocator) []arrow.RecordBatch
}

// Transform runs the transform conformance cases.
func Transform(t *testing.T, s TransformSuite) {
	t.Helper()
	if s.Input == nil {
		t.Fatal("plugintest: TransformSuite needs Input")
	}
	var schema *arrow.Schema
	{
		probe := s.Input(memory.NewGoAllocator())
		if len(probe) == 0 {
			t.Fatal("plugintest: Input returned no batches")
		}
		schema = probe[0].Schema()
		for _, b := range probe {
			b.Release()
		}
	}
	open := func(e *Env, ctx context.Context, inst any) error {
		_, err := inst.(sdk.Transform).Open(ctx, e.Host, schema)
		return err
	}
	s.commonCases(t, open)
	s.run(t, "Transform/Process", func(e *Env) {
		inputs := s.Input(e.Host.Mem)
		defer func() {
			for _, b := range inputs {
				b.Release()
			}
		}()
		tr := e.MustNew(s.Config).(sdk.Transform)
		defer closeInst(e, tr)
		out, err := tr.Open(e.Ctx, e.Host, schema)
		if err != nil {
			e.T.Fatalf("open: %v", err)
		}
		flusher, holds := tr.(sdk.Flusher)
		var in, accounted int64
		for i, b := range inputs {
			before := Rows(b)
			res, err := tr.Process(e.Ctx, b)
			if err != nil {
				e.T.Fatalf("process batch %d: %v", i, err)
			}
			if !slices.Equal(Rows(b), before) {
				e.T.Errorf("Process modified its input batch %d", i)
			}
			in += b.NumRows()
			accounted += account(e, i, res, out, int(b.NumRows()), holds)
		}
		for flushes := 0; holds; flushes++ {
			if flushes > 1_000_000 {
				e.T.Fatalf("Flush returned a batch a million times: it must return no batch once it has returned what it held")
			}
			res, err := flusher.Flush(e.Ctx)
			if err != nil {
				e.T.Fatalf("flush: %v", err)
			}
			if len(res.Rejects) > 0 {
				e.T.Errorf("Flush reported row errors, which it cannot: it has no input batch")
			}
			holds = res.Out != nil
			accounted += account(e, -1, res, out, 0, true)
		}
		if accounted != in {
			e.T.Errorf("%d rows in, %d accounted for (out, rejected, filtered, deduplicated)", in, accounted)
		}
	})
	s.run(t, "Transform/Deterministic", func(e *Env) {
		first, second := processAll(e, s, schema), processAll(e, s, schema)
		if !slices.Equal(first, second) {
			e.T.Errorf("two instances with one configuration gave different output:\n%.10q\n%.10q", first, second)
		}
	})
}

// account checks one result and returns the rows it accounts for; it
// releases the output.
func account(e *Env, i int, res sdk.Result, schema *arrow.Schema, rows int, holds bool) int64 {
	e.T.Helper()
	var n int64
	if res.Out != nil {
		if res.Out.NumRows() > 0 && !res.Out.Schema().Equal(schema) {
			e.T.Errorf("batch %d: output schema\n%s\ndiffers from the one Open reported\n%s", i, res.Out.Schema(), schema)
		}
		n += res.Out.NumRows()
		res.Out.Release()
	}
	if err := checkRowErrors(res.Rejects, rows); err != nil {
		e.T.Errorf("batch %d: %v", i, err)
	}
	if res.Filtered < 0 || res.Deduplicated < 0 {
		e.T.Errorf("batch %d: negative counts %+v", i, res)
	}
	n += int64(len(res.Rejects) + res.Filtered + res.Deduplicated)
	if !holds && n != int64(rows) {
		e.T.Errorf("batch %d: %d rows in, %d accounted for", i, rows, n)
	}
	return n
}

// processAll runs the whole input through a fresh instance and returns the
// output rows.
func processAll(e *Env, s TransformSuite, schema *arrow.Schema) []string {
	e.T.Helper()
	inputs := s.Input(e.Host.Mem)
	defer func() {
		for _, b := range inputs {
			b.Release()
		}
	}()
	tr := e.MustNew(s.Config).(sdk.Transform)
	defer closeInst(e, tr)
	if _, err := tr.Open(e.Ctx, e.Host, schema); err != nil {
		e.T.Fatalf("open: %v", err)
	}
	var rows []string
	collect := func(res sdk.Result, err error) {
		if err != nil {
			e.T.Fatal(err)
		}
		rows = append(rows, Rows(res.Out)...)
		if res.Out != nil {
			res.Out.Release()
		}
	}
	for _, b := range inputs {
		collect(tr.Process(e.Ctx, b))
	}
	if f, ok := tr.(sdk.Flusher); ok {
		for {
			res, err := f.Flush(e.Ctx)
			done := res.Out == nil
			collect(res, err)
			if done {
				break
			}
		}
	}
	return rows
}
