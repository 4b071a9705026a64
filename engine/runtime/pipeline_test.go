package runtime_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"go.uber.org/goleak"

	"github.com/sluicedata/sluice/engine/runtime"
	"github.com/sluicedata/sluice/sdk"
)

// pipeTransform is rowsTransform as an sdk.Pipeliner, the way the engine's
// client for a plugin process is one: Submit queues a batch, Next computes
// the oldest one's result. It checks the runtime's side of the contract:
// no more than Window batches in flight, each input still valid when its
// result is taken, a Next for every batch Submit accepted. Its first
// result waits until the window is full (or everything is submitted), so a
// runtime that does not pipeline fails the test rather than passing it.
type pipeConfig struct {
	Mode        string `sluice:"mode"`
	RejectEvery int    `sluice:"reject_every"`
	DropEvery   int    `sluice:"drop_every"`
	Window      int    `sluice:"window" default:"3"`
	// Batches is how many batches the transform will get, so that its
	// first result can wait for the window to fill when there are enough.
	Batches int `sluice:"batches"`
	// FailNext and FailSubmit fail that batch's Next or Submit (1-based);
	// HangNext makes that batch's Next wait for its context.
	FailNext   int `sluice:"fail_next"`
	FailSubmit int `sluice:"fail_submit"`
	HangNext   int `sluice:"hang_next"`
}

// pipeHung, when set, is closed when a pipeTransform starts to hang.
var pipeHung chan struct{}

var pipePlugin = sdk.TransformPlugin(sdk.Info{Name: "pipe"}, func(c pipeConfig) (sdk.Transform, error) {
	p := &pipeTransform{rows: rowsTransform{cfg: rowsConfig{Mode: c.Mode, RejectEvery: c.RejectEvery, DropEvery: c.DropEvery}}, cfg: c}
	pipesBuilt.Lock()
	pipesBuilt.list = append(pipesBuilt.list, p)
	pipesBuilt.Unlock()
	return p, nil
})

// pipesBuilt are the pipeTransforms built since the last builtPipes.
var pipesBuilt struct {
	sync.Mutex
	list []*pipeTransform
}

// builtPipes returns the pipeTransforms built since the last call; the
// tests that use them do not run in parallel.
func builtPipes() []*pipeTransform {
	pipesBuilt.Lock()
	defer pipesBuilt.Unlock()
	out := pipesBuilt.list
	pipesBuilt.list = nil
	return out
}

type pipeTransform struct {
	rows rowsTransform
	cfg  pipeConfig

	mu        sync.Mutex
	queue     []arrow.RecordBatch
	submitted int // batches Submit accepted
	taken     int // results Next returned (or failed)
	maxQueued int
	problems  []string
	full      chan struct{}
	processed atomic.Int64 // Process calls, for the synchronous path
}

func (p *pipeTransform) Open(ctx context.Context, h sdk.Host, in *arrow.Schema) (*arrow.Schema, error) {
	p.full = make(chan struct{})
	return p.rows.Open(ctx, h, in)
}

func (p *pipeTransform) Window() int { return p.cfg.Window }

func (p *pipeTransform) Submit(_ context.Context, in arrow.RecordBatch) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cfg.FailSubmit > 0 && p.submitted+1 == p.cfg.FailSubmit {
		return errors.New("submit refused")
	}
	p.queue = append(p.queue, in)
	p.submitted++
	if len(p.queue) > p.cfg.Window {
		p.problems = append(p.problems, fmt.Sprintf("%d batches in flight; the window is %d", len(p.queue), p.cfg.Window))
	}
	p.maxQueued = max(p.maxQueued, len(p.queue))
	if p.submitted == min(p.cfg.Window, p.cfg.Batches) {
		close(p.full)
	}
	return nil
}

func (p *pipeTransform) Next(ctx context.Context) (sdk.Result, error) {
	p.mu.Lock()
	if len(p.queue) == 0 {
		p.problems = append(p.problems, "Next with nothing submitted")
		p.mu.Unlock()
		return sdk.Result{}, errors.New("nothing submitted")
	}
	in, n := p.queue[0], p.taken+1
	first := p.taken == 0
	p.mu.Unlock()
	if first && p.processed.Load() == 0 {
		select {
		case <-p.full:
		case <-ctx.Done():
		case <-time.After(5 * time.Second):
			p.mu.Lock()
			p.problems = append(p.problems, fmt.Sprintf("the first result was taken with %d batches submitted; the window is %d", p.submitted, p.cfg.Window))
			p.mu.Unlock()
		}
	}
	var res sdk.Result
	var err error
	switch {
	case n == p.cfg.HangNext:
		if pipeHung != nil {
			close(pipeHung)
		}
		<-ctx.Done()
		err = context.Cause(ctx)
	case n == p.cfg.FailNext:
		err = errors.New("boom")
	case in.NumCols() == 0 || in.Column(0).Data().Buffers()[1].Buf() == nil:
		err = errors.New("the input was released before its result was taken")
	default:
		res, err = p.rows.Process(ctx, in)
	}
	p.mu.Lock()
	p.queue = p.queue[1:]
	p.taken++
	if err != nil && err.Error() != "boom" && !errors.Is(err, context.Canceled) && ctx.Err() == nil {
		p.problems = append(p.problems, err.Error())
	}
	p.mu.Unlock()
	return res, err
}

func (p *pipeTransform) Process(ctx context.Context, in arrow.RecordBatch) (sdk.Result, error) {
	p.processed.Add(1)
	if err := p.Submit(ctx, in); err != nil {
		return sdk.Result{}, err
	}
	return p.Next(ctx)
}

func (p *pipeTransform) Close(context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.submitted != p.taken {
		p.problems = append(p.problems, fmt.Sprintf("%d batches submitted, %d results taken", p.submitted, p.taken))
	}
	return nil
}

func (p *pipeTransform) check(t *testing.T) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, msg := range p.problems {
		t.Error(msg)
	}
}

// The pipelined chain of a Keep and an aligned Out gives what the
// synchronous one gives, in the same order, with the same accounting and
// checkpoints, and each pipelined transform has its window full.
func TestPipelinedTransformsMatchSynchronous(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	chain := func(kind string) string {
		return fmt.Sprintf(`
source "count" "ids" {
  batches = 12
  rows    = 10
}
transform %[1]q "keep" {
  input        = source.ids
  mode         = "keep"
  reject_every = 5
  drop_every   = 3
  rejects      = sink.rejects
  %[2]s
}
transform %[1]q "align" {
  input        = transform.keep
  mode         = "aligned"
  reject_every = 4
  rejects      = sink.rejects
  %[2]s
}
sink "test" "out" { input = transform.align }
sink "memory" "rejects" { table = "rejects" }
`, kind, map[string]string{"rows": "", "pipe": "batches = 12"}[kind])
	}
	syncSink, syncGet := sinkPlugin(t)
	want := runPipeline(t, context.Background(), chain("rows"), syncSink, runtime.Options{})
	if want.err != nil {
		t.Fatal(want.err)
	}
	builtPipes()
	pipeSink, pipeGet := sinkPlugin(t)
	// Every checkpoint comes after the sink wrote every row of the batches
	// it covers: the rows the synchronous run wrote from ids below it.
	var early []string
	onCheckpoint := func(_ string, cp sdk.Checkpoint) {
		below := int64(binary.BigEndian.Uint64(cp)) * 10
		s := pipeGet()
		s.mu.Lock()
		written := slices.Clone(s.ids)
		s.mu.Unlock()
		for _, id := range syncGet().ids {
			if id < below && !slices.Contains(written, id) {
				early = append(early, fmt.Sprintf("checkpoint %d before row %d was written", below/10, id))
				return
			}
		}
	}
	got := runPipeline(t, context.Background(), chain("pipe"), pipeSink, runtime.Options{OnCheckpoint: onCheckpoint})
	if got.err != nil {
		t.Fatal(got.err)
	}
	pipes := builtPipes()
	if len(pipes) != 2 {
		t.Fatalf("built %d pipelined transforms, want 2", len(pipes))
	}
	for _, p := range pipes {
		p.check(t)
		if p.maxQueued != p.cfg.Window || p.processed.Load() != 0 {
			t.Errorf("%s: at most %d batches in flight, %d Process calls; want the window of %d full, and none", p.cfg.Mode, p.maxQueued, p.processed.Load(), p.cfg.Window)
		}
	}
	if w, g := syncGet().ids, pipeGet().ids; len(w) == 0 || !slices.Equal(w, g) {
		t.Errorf("pipelined wrote %v, synchronous %v", g, w)
	}
	for _, addr := range []string{"transform.keep", "transform.align", "sink.out", "sink.rejects"} {
		w, g := node(t, want.stats, addr), node(t, got.stats, addr)
		if w.In != g.In || w.Out != g.Out || w.Filtered != g.Filtered || w.Rejected != g.Rejected || w.Batches != g.Batches || !g.Balanced() {
			t.Errorf("%s: pipelined %+v, synchronous %+v", addr, g, w)
		}
	}
	for _, e := range early {
		t.Error(e)
	}
	if !slices.IsSorted(got.checkpoints) || got.checkpoints[len(got.checkpoints)-1] != 12 {
		t.Errorf("checkpoints %v, want ascending to 12", got.checkpoints)
	}
	if w, g := got.store.Rows("rejects"), want.store.Rows("rejects"); w != g {
		t.Errorf("%d rejected rows pipelined, %d synchronous", g, w)
	}
}

// A transform that fails a batch, or is refused one, fails the run naming
// it; every batch a pipelined transform accepted still gets its Next, and
// nothing is leaked (runPipeline's checked allocator, goleak). No
// checkpoint reaches the failed batch, though the batches after it are
// released unwritten, and every batch a checkpoint covers is in the sink.
// Window 1 is the synchronous path, which the same holds for.
func TestPipelinedTransformFailures(t *testing.T) {
	for _, window := range []int{1, 4} {
		for _, tc := range []struct {
			attr  string
			batch int
			want  string
		}{
			{"fail_next", 4, "transform.t: boom"},
			{"fail_next", 1, "transform.t: boom"},
			{"fail_submit", 5, "transform.t: submit refused"},
			{"fail_submit", 1, "transform.t: submit refused"},
		} {
			t.Run(fmt.Sprintf("window %d %s %d", window, tc.attr, tc.batch), func(t *testing.T) {
				defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
				builtPipes()
				sink, get := sinkPlugin(t)
				r := runPipeline(t, context.Background(), fmt.Sprintf(`
source "count" "ids" {
  batches = 20
  rows    = 10
}
transform "pipe" "t" {
  input   = source.ids
  mode    = "keep"
  batches = 20
  window  = %d
  %s = %d
}
sink "test" "out" { input = transform.t }
`, window, tc.attr, tc.batch), sink, runtime.Options{})
				if r.stats.Status != runtime.StatusFailed || r.err == nil || !strings.Contains(r.err.Error(), tc.want) {
					t.Errorf("status %s, err %v; want it to fail with %q", r.stats.Status, r.err, tc.want)
				}
				for _, p := range builtPipes() {
					p.check(t)
				}
				cp := r.checkpoints
				if len(cp) == 0 {
					return
				}
				last := cp[len(cp)-1]
				if last >= uint64(tc.batch) {
					t.Errorf("checkpoints %v: batch %d failed, yet its checkpoint was committed", cp, tc.batch)
				}
				var written []int64
				if s := get(); s != nil {
					s.mu.Lock()
					written = slices.Clone(s.ids)
					s.mu.Unlock()
				}
				for id := range int64(last) * 10 {
					if !slices.Contains(written, id) {
						t.Errorf("checkpoint %d committed, but row %d is not in the sink", last, id)
						break
					}
				}
			})
		}
	}
}

// A pipelined transform stuck with batches in flight is abandoned after
// the grace period, as a stuck Process is: the run ends promptly, with the
// status the synchronous path gives, its Next calls all made and nothing
// leaked.
func TestPipelinedTransformStuckPastTheGracePeriod(t *testing.T) {
	statuses := map[string]runtime.Status{}
	for _, window := range []int{1, 3} {
		t.Run(fmt.Sprintf("window %d", window), func(t *testing.T) {
			defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
			builtPipes()
			sink, get := sinkPlugin(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			pipeHung = make(chan struct{})
			defer func() { pipeHung = nil }()
			go func() {
				<-pipeHung
				cancel()
			}()
			start := time.Now()
			r := runPipeline(t, ctx, fmt.Sprintf(`
source "count" "ids" { batches = 0 }
transform "pipe" "t" {
  input     = source.ids
  mode      = "keep"
  window    = %d
  hang_next = 4
  batches   = 1000
}
sink "test" "out" { input = transform.t }
`, window), sink, runtime.Options{Grace: 50 * time.Millisecond})
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("took %s to stop", d)
			}
			if r.stats.Status == runtime.StatusSucceeded {
				t.Errorf("status %s", r.stats.Status)
			}
			statuses[t.Name()] = r.stats.Status
			t.Logf("status %s, err %v, transform %+v", r.stats.Status, r.err, node(t, r.stats, "transform.t"))
			pipes := builtPipes()
			for _, p := range pipes {
				p.check(t)
			}
			if window > 1 && (len(pipes) != 1 || pipes[0].processed.Load() != 0) {
				t.Errorf("the transform was not pipelined")
			}
			out := node(t, r.stats, "sink.out")
			if int64(len(get().ids)) != out.Out {
				t.Errorf("the sink holds %d rows, its stats say %d", len(get().ids), out.Out)
			}
		})
	}
	if len(statuses) == 2 {
		var seen []runtime.Status
		for _, s := range statuses {
			seen = append(seen, s)
		}
		if seen[0] != seen[1] {
			t.Errorf("stuck transforms end with different statuses: %v", statuses)
		}
	}
}
