package testhost

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/sluicedata/sluice/sdk"
)

// Build builds a plugin instance from the body of its pipeline-file block,
// decoded the way the engine decodes it, so tests exercise the
// configuration's tags and defaults too.
func Build(t testing.TB, p sdk.Plugin, body string) (any, error) {
	t.Helper()
	f, diags := hclsyntax.ParseConfig([]byte(body), "test.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatalf("parsing config: %v", diags)
	}
	v, diags := p.Schema().DecodeBody(f.Body, &hcl.EvalContext{})
	if diags.HasErrors() {
		t.Fatalf("decoding config: %v", diags)
	}
	return p.New(context.Background(), v)
}

// MustBuild is Build for configurations that must be valid.
func MustBuild[T any](t testing.TB, p sdk.Plugin, body string) T {
	t.Helper()
	inst, err := Build(t, p, body)
	if err != nil {
		t.Fatalf("building %s %s: %v", p.Kind(), p.Info().Name, err)
	}
	return inst.(T)
}

// Emitter collects the batches a source emits, retaining their records
// until Release. It can be told to fail after a number of batches.
type Emitter struct {
	mu      sync.Mutex
	Batches []sdk.Batch
	// StopAfter, when positive, makes Emit fail with ErrStop once that many
	// batches were emitted.
	StopAfter int
	// OnEmit, when set, is called for each batch before it is kept.
	OnEmit func(sdk.Batch)
}

// ErrStop is what Emit returns after StopAfter batches.
var ErrStop = context.Canceled

// Emit implements sdk.Emitter.
func (e *Emitter) Emit(ctx context.Context, b sdk.Batch) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.StopAfter > 0 && len(e.Batches) >= e.StopAfter {
		return ErrStop
	}
	if e.OnEmit != nil {
		e.OnEmit(b)
	}
	b.Record.Retain()
	e.Batches = append(e.Batches, b)
	return ctx.Err()
}

// Rows is the number of rows emitted.
func (e *Emitter) Rows() int64 {
	var n int64
	for _, b := range e.Batches {
		n += b.Record.NumRows()
	}
	return n
}

// Records returns the emitted records.
func (e *Emitter) Records() []arrow.RecordBatch {
	out := make([]arrow.RecordBatch, len(e.Batches))
	for i, b := range e.Batches {
		out[i] = b.Record
	}
	return out
}

// Release releases every kept record.
func (e *Emitter) Release() {
	for _, b := range e.Batches {
		b.Record.Release()
	}
	e.Batches = nil
}

// Concat joins records of one schema into one, for comparing whole tables.
// The caller releases it.
func Concat(t testing.TB, recs []arrow.RecordBatch) arrow.RecordBatch {
	t.Helper()
	if len(recs) == 0 {
		t.Fatal("Concat: no records")
	}
	schema := recs[0].Schema()
	cols := make([]arrow.Array, schema.NumFields())
	var rows int64
	for _, r := range recs {
		rows += r.NumRows()
	}
	for c := range cols {
		parts := make([]arrow.Array, len(recs))
		for i, r := range recs {
			parts[i] = r.Column(c)
		}
		col, err := array.Concatenate(parts, memory.NewGoAllocator())
		if err != nil {
			t.Fatal(err)
		}
		cols[c] = col
	}
	out := array.NewRecordBatch(schema, cols, rows)
	for _, c := range cols {
		c.Release()
	}
	return out
}

// NoGoroutineLeaks fails the test if, when it ends, more goroutines are
// running than when NoGoroutineLeaks was called, after giving exiting
// goroutines a moment. Tests that use it must not run in parallel.
func NoGoroutineLeaks(t testing.TB) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(3 * time.Second)
		for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > before {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Errorf("%d goroutines leaked:\n%s", n-before, buf)
		}
	})
}
