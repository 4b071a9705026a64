package plugintest

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sluicedata/sluice/sdk"
	"github.com/sluicedata/sluice/sdk/batches"
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
		proj := projectionOf(e, tr, schema, out)
		flusher, holds := tr.(sdk.Flusher)
		if p, ok := tr.(sdk.Pipeliner); e.Mode == GRPC && (!ok || p.Window() <= 1) {
			e.T.Errorf("plugintest: over gRPC the engine's side of a transform should pipeline its calls (sdk.Pipeliner with a window above 1)")
		}
		var in, accounted int64
		var results []outcome
		each(e, tr, inputs, func(i int, b arrow.RecordBatch, before []string, res sdk.Result, err error) {
			if err != nil {
				e.T.Fatalf("process batch %d: %v", i, err)
			}
			if !slices.Equal(Rows(b), before) {
				e.T.Errorf("Process modified its input batch %d", i)
			}
			in += b.NumRows()
			o := account(e, i, b, res, out, holds, proj)
			accounted += o.accounted
			results = append(results, o)
		})
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
			if proj != nil && res.Out != nil && res.Out.NumRows() > 0 {
				e.T.Errorf("Flush returned %d rows, which a projector's Flush must not: its rows come from the input of the same call (sdk.Projector)", res.Out.NumRows())
			}
			accounted += account(e, -1, nil, res, out, true, proj).accounted
		}
		if accounted != in {
			e.T.Errorf("%d rows in, %d accounted for (out, rejected, filtered, deduplicated)", in, accounted)
		}
		if proj != nil && !e.T.Failed() {
			checkUnread(e, s, schema, proj, results)
		}
	})
	s.run(t, "Transform/Deterministic", func(e *Env) {
		// The first run pipelines the calls where the instance is an
		// sdk.Pipeliner (over gRPC), the second makes them one by one.
		first, second := processAll(e, s, schema, true), processAll(e, s, schema, false)
		if !slices.Equal(first, second) {
			e.T.Errorf("two instances with one configuration gave different output (the first with its calls pipelined, if it pipelines):\n%.10q\n%.10q", first, second)
		}
	})
	s.run(t, "Transform/CancelInFlight", func(e *Env) {
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
		ctx, cancel := context.WithCancel(e.Ctx)
		defer cancel()
		returned := make(chan struct{})
		go func() {
			defer close(returned)
			cancelInFlight(ctx, cancel, tr, inputs)
		}()
		select {
		case <-returned:
		case <-e.deadline():
			e.T.Fatalf("calls in flight did not return within %s of their context being cancelled", e.cancelTimeout)
		}
	})
}

// each processes inputs in order and hands each result to take, with the
// input's rows as they were before the call. An sdk.Pipeliner gets its
// window of batches in flight, as the engine gives it: each input stays
// untouched until its result is taken.
func each(e *Env, tr sdk.Transform, inputs []arrow.RecordBatch, take func(i int, in arrow.RecordBatch, before []string, res sdk.Result, err error)) {
	e.T.Helper()
	p, ok := tr.(sdk.Pipeliner)
	if !ok || p.Window() <= 1 {
		for i, b := range inputs {
			before := Rows(b)
			res, err := tr.Process(e.Ctx, b)
			take(i, b, before, res, err)
		}
		return
	}
	befores := make([][]string, len(inputs))
	submitted := 0
	for i := range inputs {
		for ; submitted < len(inputs) && submitted < i+p.Window(); submitted++ {
			befores[submitted] = Rows(inputs[submitted])
			if err := p.Submit(e.Ctx, inputs[submitted]); err != nil {
				// Take what is owed before failing.
				for j := i; j < submitted; j++ {
					res, _ := p.Next(e.Ctx)
					release(res)
				}
				e.T.Fatalf("submit batch %d: %v", submitted, err)
			}
		}
		res, err := p.Next(e.Ctx)
		if err != nil {
			// The calls after it are owed their Next, and take, which
			// fails the test, sees no more.
			for j := i + 1; j < submitted; j++ {
				r, _ := p.Next(e.Ctx)
				release(r)
			}
			take(i, inputs[i], befores[i], res, err)
			return
		}
		take(i, inputs[i], befores[i], res, err)
	}
}

// cancelInFlight gives tr its inputs and cancels ctx with calls in flight:
// a window's worth for an sdk.Pipeliner, one call otherwise. Every call
// must still return, and every result be released.
func cancelInFlight(ctx context.Context, cancel context.CancelFunc, tr sdk.Transform, inputs []arrow.RecordBatch) {
	p, ok := tr.(sdk.Pipeliner)
	if !ok || p.Window() <= 1 {
		cancel()
		res, _ := tr.Process(ctx, inputs[0])
		release(res)
		return
	}
	submitted := 0
	for _, b := range inputs[:min(len(inputs), p.Window())] {
		if p.Submit(ctx, b) != nil {
			break
		}
		submitted++
	}
	cancel()
	for range submitted {
		res, _ := p.Next(ctx)
		release(res)
	}
}

func release(res sdk.Result) {
	if res.Out != nil {
		res.Out.Release()
	}
	if res.Keep != nil {
		res.Keep.Release()
	}
}

// outcome is what the suite makes of one result: the rows it passes on,
// its rejected rows and counts.
type outcome struct {
	rows                   []string
	rejects                []string
	filtered, deduplicated int
	accounted              int64
}

// account checks one result of batch i (in is nil for Flush) and returns
// what it makes of it, reading it as the engine does; it releases the
// result.
func account(e *Env, i int, in arrow.RecordBatch, res sdk.Result, schema *arrow.Schema, holds bool, proj *projection) outcome {
	e.T.Helper()
	o := outcome{filtered: res.Filtered, deduplicated: res.Deduplicated}
	rows := 0
	if in != nil {
		rows = int(in.NumRows())
	}
	if res.Out != nil && res.Out.NumRows() > 0 && !res.Out.Schema().Equal(schema) {
		e.T.Errorf("batch %d: output schema\n%s\ndiffers from the one Open reported\n%s", i, res.Out.Schema(), schema)
	}
	if err := checkRowErrors(res.Rejects, rows); err != nil {
		e.T.Errorf("batch %d: %v", i, err)
	}
	if res.Filtered < 0 || res.Deduplicated < 0 {
		e.T.Errorf("batch %d: negative counts %+v", i, res)
	}
	rejects := slices.SortedFunc(slices.Values(res.Rejects), func(a, b sdk.RowError) int { return a.Row - b.Row })
	for _, r := range rejects {
		o.rejects = append(o.rejects, fmt.Sprintf("%d %s", r.Row, r.Code))
	}
	if in != nil && proj != nil {
		proj.checkResult(e, i, in, res)
	}
	var out arrow.RecordBatch
	if in == nil {
		if res.Keep != nil {
			e.T.Errorf("Flush returned Keep, which it cannot: it has no input batch to select from")
			res.Keep.Release()
		}
		out = res.Out
	} else {
		var err error
		out, err = batches.Output(e.Ctx, e.Host.Mem, in, res, rejects, holds)
		if err != nil {
			e.T.Errorf("batch %d: %v", i, err)
		}
	}
	if out != nil {
		o.rows = Rows(out)
		out.Release()
	}
	o.accounted = int64(len(o.rows) + len(res.Rejects) + res.Filtered + res.Deduplicated)
	if !holds && o.accounted != int64(rows) {
		e.T.Errorf("batch %d: %d rows in, %d accounted for", i, rows, o.accounted)
	}
	return o
}

// projection is what a projector's Columns said, checked against the
// schemas.
type projection struct {
	reads  []string
	read   []bool // by input column
	passes []int
}

// projectionOf checks what an sdk.Projector says of its columns; nil when
// tr is none, or says it is no projection.
func projectionOf(e *Env, tr sdk.Transform, in, out *arrow.Schema) *projection {
	e.T.Helper()
	p, ok := tr.(sdk.Projector)
	if !ok {
		return nil
	}
	reads, passes := p.Columns()
	if passes == nil {
		return nil
	}
	proj := &projection{reads: reads, read: make([]bool, in.NumFields()), passes: passes}
	for _, name := range reads {
		idx := in.FieldIndices(name)
		if len(idx) == 0 {
			e.T.Fatalf("Columns() says Process reads column %q, which the input does not have", name)
		}
		for _, j := range idx {
			proj.read[j] = true
		}
	}
	if len(passes) != out.NumFields() {
		e.T.Fatalf("Columns() describes %d output columns; Open reported %d", len(passes), out.NumFields())
	}
	for i, j := range passes {
		switch {
		case j < -1 || j >= in.NumFields():
			e.T.Fatalf("Columns() says output column %d passes input column %d; the input has %d", i, j, in.NumFields())
		case j >= 0 && !arrow.TypeEqual(in.Field(j).Type, out.Field(i).Type):
			e.T.Fatalf("Columns() says output column %q passes input column %q, but their types differ: %s and %s", out.Field(i).Name, in.Field(j).Name, out.Field(i).Type, in.Field(j).Type)
		}
	}
	return proj
}

// checkResult checks the shape a projector's result must have: Keep, or an
// Out aligned with the input whose passed columns are the input's arrays.
func (p *projection) checkResult(e *Env, i int, in arrow.RecordBatch, res sdk.Result) {
	e.T.Helper()
	if res.Out == nil || res.Out.NumRows() == 0 {
		return
	}
	if res.Out.NumRows() != in.NumRows() {
		e.T.Errorf("batch %d: a projector returned an Out of %d rows for %d input rows: it must return Keep, or an Out aligned with its input (sdk.Projector)", i, res.Out.NumRows(), in.NumRows())
		return
	}
	for c, j := range p.passes {
		if j >= 0 && c < int(res.Out.NumCols()) && !sameArray(res.Out.Column(c), in.Column(j)) {
			e.T.Errorf("batch %d: output column %q is not input column %q passed on unchanged, as Columns() says: it must be the input's very array, in.Column(%d)", i, res.Out.Schema().Field(c).Name, in.Schema().Field(j).Name, j)
		}
	}
}

// sameArray reports whether a and b are the same array: one value, or two
// views of the same data.
func sameArray(a, b arrow.Array) bool { return a == b || a.Data() == b.Data() }

// checkUnread runs the input again through a fresh instance with every
// column Process does not read replaced by nulls, as a plugin process sees
// it, and checks that it gives what the first run gave: the passed-on
// columns taken from the real input, as the engine takes them.
func checkUnread(e *Env, s TransformSuite, schema *arrow.Schema, proj *projection, want []outcome) {
	e.T.Helper()
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
	_, holds := tr.(sdk.Flusher)
	for i, b := range inputs {
		nulled := withNulls(e.Host.Mem, b, proj.read)
		res, err := tr.Process(e.Ctx, nulled)
		if err != nil {
			nulled.Release()
			e.T.Fatalf("process batch %d with unread columns null: %v", i, err)
		}
		proj.checkResult(e, i, nulled, res)
		if res.Out != nil && res.Out.NumRows() == b.NumRows() {
			// Take the passed columns from the real input, as the engine does.
			cols := slices.Clone(res.Out.Columns())
			for c, j := range proj.passes {
				if j >= 0 {
					cols[c] = b.Column(j)
				}
			}
			real := array.NewRecordBatch(out, cols, b.NumRows())
			res.Out.Release()
			res.Out = real
		}
		nulled.Release()
		got := account(e, i, b, res, out, holds, nil)
		if i < len(want) && (!slices.Equal(got.rows, want[i].rows) || !slices.Equal(got.rejects, want[i].rejects) ||
			got.filtered != want[i].filtered || got.deduplicated != want[i].deduplicated) {
			e.T.Errorf("batch %d: with the columns Columns() does not name (%q) all null, Process gave %d rows, rejects %q, %d filtered, %d deduplicated; with them, %d rows, rejects %q, %d filtered, %d deduplicated: it reads a column Columns() does not name",
				i, unread(schema, proj.read), len(got.rows), got.rejects, got.filtered, got.deduplicated, len(want[i].rows), want[i].rejects, want[i].filtered, want[i].deduplicated)
		}
	}
}

// withNulls returns rec with the columns not marked read replaced by nulls.
func withNulls(mem memory.Allocator, rec arrow.RecordBatch, read []bool) arrow.RecordBatch {
	cols := slices.Clone(rec.Columns())
	var made []arrow.Array
	for j, r := range read {
		if !r {
			cols[j] = array.MakeArrayOfNull(mem, rec.Schema().Field(j).Type, int(rec.NumRows()))
			made = append(made, cols[j])
		}
	}
	out := array.NewRecordBatch(rec.Schema(), cols, rec.NumRows())
	for _, a := range made {
		a.Release()
	}
	return out
}

func unread(schema *arrow.Schema, read []bool) []string {
	var out []string
	for j, r := range read {
		if !r {
			out = append(out, schema.Field(j).Name)
		}
	}
	return out
}

// processAll runs the whole input through a fresh instance and returns the
// output rows; pipelined, if the instance pipelines and pipeline is set.
func processAll(e *Env, s TransformSuite, schema *arrow.Schema, pipeline bool) []string {
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
	_, holds := tr.(sdk.Flusher)
	var rows []string
	collect := func(in arrow.RecordBatch, res sdk.Result, err error) {
		if err != nil {
			e.T.Fatal(err)
		}
		out := res.Out
		if in != nil {
			slices.SortFunc(res.Rejects, func(a, b sdk.RowError) int { return a.Row - b.Row })
			if out, err = batches.Output(e.Ctx, e.Host.Mem, in, res, res.Rejects, holds); err != nil {
				e.T.Fatal(err)
			}
		}
		rows = append(rows, Rows(out)...)
		if out != nil {
			out.Release()
		}
	}
	if pipeline {
		each(e, tr, inputs, func(_ int, b arrow.RecordBatch, _ []string, res sdk.Result, err error) { collect(b, res, err) })
	} else {
		for _, b := range inputs {
			res, err := tr.Process(e.Ctx, b)
			collect(b, res, err)
		}
	}
	if f, ok := tr.(sdk.Flusher); ok {
		for {
			res, err := f.Flush(e.Ctx)
			done := res.Out == nil
			collect(nil, res, err)
			if done {
				break
			}
		}
	}
	return rows
}
