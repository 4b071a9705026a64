package wire_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/zclconf/go-cty/cty"
	"go.uber.org/goleak"

	"github.com/sluicedata/sluice/sdk"
	"github.com/sluicedata/sluice/sdk/wire"
)

// gated is a projector (reads id, passes id and name, computes neg = -id)
// whose every Process waits for the test to open its gate, so that a test
// can hold calls in flight. It records the first id of each batch it gets,
// and fails the batch that starts with failAt.
type gated struct {
	mem memory.Allocator
	out *arrow.Schema
}

var gate struct {
	sync.Mutex
	open   chan struct{} // one receive per call
	seen   []int64       // first id of each batch processed
	failAt int64
	// active counts the calls in Process; overlaps records a Process or
	// Close that began while another call was in Process, which the
	// server must never let happen, whatever the engine abandons.
	active   atomic.Int32
	overlaps atomic.Int32
}

var gatedPlugin = sdk.TransformPlugin(sdk.Info{Name: "gated"}, func(struct{}) (sdk.Transform, error) {
	return &gated{}, nil
})

func (g *gated) Open(_ context.Context, h sdk.Host, in *arrow.Schema) (*arrow.Schema, error) {
	g.mem = h.Allocator()
	g.out = arrow.NewSchema(append(in.Fields(), arrow.Field{Name: "neg", Type: arrow.PrimitiveTypes.Int64}), nil)
	return g.out, nil
}

func (g *gated) Columns() ([]string, []int) { return []string{"id"}, []int{0, 1, -1} }

func (g *gated) Process(ctx context.Context, in arrow.RecordBatch) (sdk.Result, error) {
	if gate.active.Add(1) > 1 {
		gate.overlaps.Add(1)
	}
	defer gate.active.Add(-1)
	// Linger, so that a call that overlaps is caught at it.
	defer time.Sleep(2 * time.Millisecond)
	gate.Lock()
	open := gate.open
	gate.Unlock()
	select {
	case <-open:
	case <-ctx.Done():
		return sdk.Result{}, ctx.Err()
	}
	ids := in.Column(0).(*array.Int64)
	gate.Lock()
	gate.seen = append(gate.seen, ids.Value(0))
	fail := ids.Value(0) == gate.failAt
	gate.Unlock()
	if fail {
		return sdk.Result{}, fmt.Errorf("refused the batch from %d", ids.Value(0))
	}
	b := array.NewInt64Builder(g.mem)
	defer b.Release()
	for i := range ids.Len() {
		b.Append(-ids.Value(i))
	}
	neg := b.NewArray()
	defer neg.Release()
	return sdk.Result{Out: array.NewRecordBatch(g.out, []arrow.Array{in.Column(0), in.Column(1), neg}, in.NumRows())}, nil
}

func (g *gated) Close(context.Context) error {
	if gate.active.Load() > 0 {
		gate.overlaps.Add(1)
	}
	return nil
}

// resetGate closes the gate, forgets what it saw, and returns a function
// that lets n calls through.
func resetGate(failAt int64) func(n int) {
	gate.Lock()
	defer gate.Unlock()
	open := make(chan struct{}, 100)
	gate.open, gate.seen, gate.failAt = open, nil, failAt
	gate.overlaps.Store(0)
	return func(n int) {
		for range n {
			open <- struct{}{}
		}
	}
}

func seenFirstIDs() []int64 {
	gate.Lock()
	defer gate.Unlock()
	return append([]int64(nil), gate.seen...)
}

// openGated opens a gated transform served over an in-memory connection,
// checking for leaked goroutines and memory at the end, and returns it as
// the Pipeliner the engine sees, with the allocator of the engine side and
// the function that stops the plugin's side as a dying process would.
func openGated(t *testing.T) (sdk.Pipeliner, *memory.CheckedAllocator, func()) {
	t.Helper()
	ignore := goleak.IgnoreCurrent()
	serverMem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	c, stop, err := wire.Pipe([]sdk.Plugin{gatedPlugin}, wire.ServerOptions{Allocator: serverMem}, wire.ClientOptions{Label: `plugin "gated" (test)`})
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	stopOnce := func() { once.Do(stop) }
	local := memory.NewCheckedAllocator(memory.NewGoAllocator())
	plugins, err := c.Plugins(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	inst, err := plugins[0].New(context.Background(), cty.EmptyObjectVal)
	if err != nil {
		t.Fatal(err)
	}
	tr := inst.(sdk.Transform)
	t.Cleanup(func() {
		if err := tr.Close(context.Background()); err != nil && !t.Failed() {
			t.Logf("close: %v", err)
		}
		stopOnce()
		if n := gate.overlaps.Load(); n > 0 {
			t.Errorf("the plugin got %d calls (Process or Close) while it was still in another", n)
		}
		local.AssertSize(t, 0)
		serverMem.AssertSize(t, 0)
		goleak.VerifyNone(t, ignore)
	})
	if _, err := tr.Open(context.Background(), host{local}, schema); err != nil {
		t.Fatal(err)
	}
	p, ok := tr.(sdk.Pipeliner)
	if !ok {
		t.Fatalf("the engine's side of a transform (%T) is no sdk.Pipeliner", tr)
	}
	if p.Window() != wire.DefaultTransformWindow {
		t.Errorf("window %d, want the default %d", p.Window(), wire.DefaultTransformWindow)
	}
	return p, local, stopOnce
}

// inputs are batches of different sizes, so that a result matched to the
// wrong call cannot pass: batch k holds ids [100k, 100k+k+1).
func inputs(mem memory.Allocator, n int) []arrow.RecordBatch {
	var out []arrow.RecordBatch
	for k := range n {
		out = append(out, batch(mem, 100*k, 100*k+k+1, 3))
	}
	return out
}

func release(recs []arrow.RecordBatch) {
	for _, r := range recs {
		r.Release()
	}
}

// checkResult checks that res is batch k's: its own rows, id and name
// passed on from the input, neg computed.
func checkResult(t *testing.T, k int, in arrow.RecordBatch, res sdk.Result) {
	t.Helper()
	if res.Out == nil || res.Out.NumRows() != in.NumRows() {
		t.Fatalf("batch %d: result %v for %d rows", k, res.Out, in.NumRows())
	}
	if res.Out.Column(0) != in.Column(0) || res.Out.Column(1) != in.Column(1) {
		t.Errorf("batch %d: the passed columns are not the input's own", k)
	}
	ids, neg := in.Column(0).(*array.Int64), res.Out.Column(2).(*array.Int64)
	for i := range ids.Len() {
		if neg.Value(i) != -ids.Value(i) {
			t.Errorf("batch %d row %d: neg %d for id %d", k, i, neg.Value(i), ids.Value(i))
		}
	}
}

// Calls are submitted without waiting for results: the window's worth is
// on its way while the plugin still holds the first, and the results come
// back in order, each rebuilt from its own input.
func TestCallsInFlight(t *testing.T) {
	let := resetGate(-1)
	p, local, _ := openGated(t)
	in := inputs(local, 7)
	defer release(in)
	ctx := context.Background()
	w := p.Window()
	for k := range w {
		submitted := make(chan error, 1)
		go func() { submitted <- p.Submit(ctx, in[k]) }()
		select {
		case err := <-submitted:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("Submit %d waited for an earlier result", k+1)
		}
	}
	if seen := seenFirstIDs(); len(seen) != 0 {
		t.Fatalf("the plugin processed %v with its gate closed", seen)
	}
	let(len(in) + 1) // and the Process below
	next := w
	for k := range in {
		res, err := p.Next(ctx)
		if err != nil {
			t.Fatalf("batch %d: %v", k, err)
		}
		checkResult(t, k, in[k], res)
		releaseResult(res)
		if next < len(in) {
			if err := p.Submit(ctx, in[next]); err != nil {
				t.Fatal(err)
			}
			next++
		}
	}
	want := []int64{0, 100, 200, 300, 400, 500, 600}
	if seen := seenFirstIDs(); fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Errorf("the plugin saw batches %v, want %v in order", seen, want)
	}
	// Process still works, on the same stream, between pipelined calls.
	res, err := p.Process(ctx, in[2])
	if err != nil {
		t.Fatal(err)
	}
	checkResult(t, 2, in[2], res)
	releaseResult(res)
}

// A call the plugin fails fails alone: the calls after it, already in
// flight, get their results.
func TestAFailedCallInFlightFailsAlone(t *testing.T) {
	let := resetGate(100)
	p, local, _ := openGated(t)
	in := inputs(local, 3)
	defer release(in)
	ctx := context.Background()
	for _, b := range in {
		if err := p.Submit(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	let(3)
	for k := range in {
		res, err := p.Next(ctx)
		switch {
		case k == 1 && (err == nil || !strings.Contains(err.Error(), "refused the batch from 100")):
			t.Errorf("batch 1: got %v, want the plugin's error", err)
		case k != 1 && err != nil:
			t.Errorf("batch %d: %v", k, err)
		case k != 1:
			checkResult(t, k, in[k], res)
		}
		releaseResult(res)
	}
}

// A plugin process that dies with calls in flight fails each of them with
// an error naming the plugin; the results it had sent are not lost, and
// nothing leaks on either side.
func TestPluginDyingMidWindow(t *testing.T) {
	let := resetGate(-1)
	p, local, stop := openGated(t)
	in := inputs(local, 4)
	defer release(in)
	ctx := context.Background()
	for _, b := range in {
		if err := p.Submit(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	let(1)
	res, err := p.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	checkResult(t, 0, in[0], res)
	releaseResult(res)
	// The plugin holds call 2 and has 3 and 4 queued when it goes.
	go stop()
	for k := 1; k < len(in); k++ {
		done := make(chan error, 1)
		go func() {
			res, err := p.Next(ctx)
			releaseResult(res)
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), `plugin "gated" (test)`) {
				t.Errorf("call %d: got %v, want an error naming the plugin", k+1, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("call %d: Next did not return after the plugin died", k+1)
		}
	}
	if err := p.Submit(ctx, in[0]); err == nil || !strings.Contains(err.Error(), `plugin "gated" (test)`) {
		t.Errorf("a call after the plugin died: got %v, want an error naming the plugin", err)
	}
}

// Cancelling with calls in flight ends each promptly with the context's
// error; the next call opens a new stream and gets its result.
func TestCancelWithCallsInFlight(t *testing.T) {
	let := resetGate(-1)
	p, local, _ := openGated(t)
	in := inputs(local, 3)
	defer release(in)
	ctx, cancel := context.WithCancel(context.Background())
	for _, b := range in {
		if err := p.Submit(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	cancel()
	for k := range in {
		res, err := p.Next(ctx)
		releaseResult(res)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("call %d: got %v, want context.Canceled", k+1, err)
		}
	}
	// The plugin may not know yet that the old stream is gone, and take
	// its calls through the gate first.
	let(len(in) + 1)
	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := p.Process(ctx, in[1])
	if err != nil {
		t.Fatal(err)
	}
	checkResult(t, 1, in[1], res)
	releaseResult(res)
}

func releaseResult(res sdk.Result) {
	if res.Out != nil {
		res.Out.Release()
	}
	if res.Keep != nil {
		res.Keep.Release()
	}
}
