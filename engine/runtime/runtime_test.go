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
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sluicedata/sluice/engine/config"
	"github.com/sluicedata/sluice/engine/plan"
	"github.com/sluicedata/sluice/engine/registry"
	"github.com/sluicedata/sluice/engine/runtime"
	"github.com/sluicedata/sluice/plugins/dedupe"
	"github.com/sluicedata/sluice/plugins/filter"
	memplugin "github.com/sluicedata/sluice/plugins/memory"
	"github.com/sluicedata/sluice/sdk"
)

// The test plugins below are real plugins with behaviour a test can steer:
// a source of numbered rows and a sink that fails rows on purpose.

var idSchema = arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}}, nil)

// countSource emits batches of consecutive ids. With batches = 0 it emits
// until cancelled. Rows whose id is a multiple of rejectEvery are emitted as
// rejects.
type countConfig struct {
	Batches     int `sluice:"batches"`
	Rows        int `sluice:"rows" default:"10"`
	RejectEvery int `sluice:"reject_every"`
}

var countPlugin = sdk.SourcePlugin(sdk.Info{Name: "count"}, func(c countConfig) (sdk.Source, error) {
	return &countSource{cfg: c}, nil
})

type countSource struct {
	cfg countConfig
	mem memory.Allocator
}

func (s *countSource) Open(_ context.Context, h sdk.Host) (*arrow.Schema, error) {
	s.mem = h.Allocator()
	return idSchema, nil
}

func (s *countSource) Read(ctx context.Context, from sdk.Checkpoint, emit sdk.Emitter) error {
	start := 0
	if from != nil {
		start = int(binary.BigEndian.Uint64(from))
	}
	for b := start; s.cfg.Batches == 0 || b < s.cfg.Batches; b++ {
		ib := array.NewInt64Builder(s.mem)
		var rejects []sdk.RowError
		for i := range s.cfg.Rows {
			id := int64(b*s.cfg.Rows + i)
			ib.Append(id)
			if s.cfg.RejectEvery > 0 && id%int64(s.cfg.RejectEvery) == 0 {
				rejects = append(rejects, sdk.RowError{Row: i, Code: "count.bad", Message: fmt.Sprintf("id %d is bad", id)})
			}
		}
		col := ib.NewArray()
		ib.Release()
		rec := array.NewRecordBatch(idSchema, []arrow.Array{col}, int64(s.cfg.Rows))
		col.Release()
		err := emit.Emit(ctx, sdk.Batch{Record: rec, Rejects: rejects, Checkpoint: binary.BigEndian.AppendUint64(nil, uint64(b+1))})
		rec.Release()
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *countSource) Close(context.Context) error { return nil }

// testSink records the ids it writes. Ids that are multiples of
// retryEvery fail retryably on their first `flaky` attempts; multiples of
// failEvery fail for good. Each write sleeps for delay, or until the context
// ends when block is set.
type testSinkConfig struct {
	RetryEvery int           `sluice:"retry_every"`
	Flaky      int           `sluice:"flaky"`
	FailEvery  int           `sluice:"fail_every"`
	Delay      time.Duration `sluice:"delay"`
	Block      bool          `sluice:"block"`
	Error      string        `sluice:"error"`
}

type testSink struct {
	cfg      testSinkConfig
	mu       sync.Mutex
	ids      []int64
	attempts map[int64]int
	writes   atomic.Int64
	sizes    []int64
	closed   atomic.Bool
}

// sinkPlugin returns the test sink plugin and a function that returns the
// instance it built, or nil before it is built.
func sinkPlugin(t *testing.T) (sdk.Plugin, func() *testSink) {
	var built atomic.Pointer[testSink]
	p := sdk.SinkPlugin(sdk.Info{Name: "test", Writes: sdk.WritePolicy{Rows: 7, InFlight: 1, MaxInFlight: 8}}, func(c testSinkConfig) (sdk.Sink, error) {
		s := &testSink{cfg: c, attempts: map[int64]int{}}
		built.Store(s)
		return s, nil
	})
	return p, built.Load
}

func (s *testSink) Open(context.Context, sdk.Host, *arrow.Schema) error { return nil }

func (s *testSink) Write(ctx context.Context, rec arrow.RecordBatch) (sdk.WriteResult, error) {
	s.writes.Add(1)
	if s.cfg.Block {
		<-ctx.Done()
		return sdk.WriteResult{}, ctx.Err()
	}
	if s.cfg.Delay > 0 {
		time.Sleep(s.cfg.Delay)
	}
	if s.cfg.Error != "" {
		return sdk.WriteResult{}, errors.New(s.cfg.Error)
	}
	var res sdk.WriteResult
	ids := rec.Column(0).(*array.Int64)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sizes = append(s.sizes, rec.NumRows())
	for i := range ids.Len() {
		id := ids.Value(i)
		s.attempts[id]++
		switch {
		case s.cfg.FailEvery > 0 && id%int64(s.cfg.FailEvery) == 0:
			res.Rejects = append(res.Rejects, sdk.RowError{Row: i, Code: "test.fail", Message: fmt.Sprintf("id %d refused", id)})
		case s.cfg.RetryEvery > 0 && id%int64(s.cfg.RetryEvery) == 0 && s.attempts[id] <= s.cfg.Flaky:
			res.Rejects = append(res.Rejects, sdk.RowError{Row: i, Code: "test.busy", Message: "busy", Retryable: true, RetryAfter: time.Millisecond})
		default:
			s.ids = append(s.ids, id)
		}
	}
	return res, nil
}

func (s *testSink) Close(context.Context) error { s.closed.Store(true); return nil }

type result struct {
	stats       runtime.Stats
	err         error
	checkpoints []uint64
	store       *memplugin.Store
}

// runPipeline plans and runs src with the test plugins, a memory store and a
// checked allocator, checking for leaks at the end of the test.
func runPipeline(t *testing.T, ctx context.Context, src string, sink sdk.Plugin, opts runtime.Options) result {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	store := memplugin.NewStore()
	t.Cleanup(func() {
		store.Clear()
		mem.AssertSize(t, 0)
	})
	reg, err := registry.New(append(store.Plugins(), countPlugin, rowsPlugin, pipePlugin, sink, filter.Transform, dedupe.Transform)...)
	if err != nil {
		t.Fatal(err)
	}
	cfg, diags := config.Parse(map[string][]byte{"p.hcl": []byte(src)}, config.Inputs{LookupEnv: func(string) (string, bool) { return "", false }})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	pl, diags := plan.New(ctx, cfg, plan.Options{Registry: reg, Allocator: mem})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	defer pl.Close(context.Background())
	var mu sync.Mutex
	var cps []uint64
	opts.Allocator = mem
	also := opts.OnCheckpoint
	opts.OnCheckpoint = func(source string, cp sdk.Checkpoint) {
		mu.Lock()
		cps = append(cps, binary.BigEndian.Uint64(cp))
		mu.Unlock()
		if also != nil {
			also(source, cp)
		}
	}
	if opts.Retry.Backoff == 0 {
		opts.Retry.Backoff, opts.Retry.MaxBackoff = time.Millisecond, 5*time.Millisecond
	}
	stats, err := runtime.Run(ctx, pl, opts)
	mu.Lock()
	defer mu.Unlock()
	return result{stats: stats, err: err, checkpoints: cps, store: store}
}

func node(t *testing.T, s runtime.Stats, addr string) runtime.NodeStats {
	t.Helper()
	n, ok := s.Node(addr)
	if !ok {
		t.Fatalf("no node %s", addr)
	}
	return n
}

func TestRetryableRowsAreWrittenAgain(t *testing.T) {
	sink, get := sinkPlugin(t)
	r := runPipeline(t, context.Background(), `
source "count" "ids" {
  batches = 5
  rows    = 20
}
sink "test" "out" {
  input         = source.ids
  retry_every   = 3
  flaky         = 2
  fail_every    = 10
  rejects       = sink.rejects
  max_in_flight = 3
}
sink "memory" "rejects" { table = "rejects" }
`, sink, runtime.Options{})
	if r.err != nil {
		t.Fatal(r.err)
	}
	s := get()
	if len(s.ids) != 90 {
		t.Errorf("wrote %d rows, want the 90 ids that are not multiples of 10", len(s.ids))
	}
	out := node(t, r.stats, "sink.out")
	if out.In != 100 || out.Out != 90 || out.Rejected != 10 || !out.Balanced() {
		t.Errorf("sink stats %+v", out)
	}
	// The 30 multiples of 3 below 100 that are not multiples of 10 fail
	// twice each before they are written.
	if out.Retried != 60 {
		t.Errorf("retried %d rows, want 60", out.Retried)
	}
	if n := r.store.Rows("rejects"); n != 10 {
		t.Errorf("%d rows in the rejects sink, want 10", n)
	}
	if got := r.checkpoints[len(r.checkpoints)-1]; got != 5 {
		t.Errorf("last checkpoint %d, want 5", got)
	}
}

func TestRetriesGiveUpWithTheLastError(t *testing.T) {
	sink, _ := sinkPlugin(t)
	r := runPipeline(t, context.Background(), `
source "count" "ids" {
  batches = 1
  rows    = 4
}
sink "test" "out" {
  input       = source.ids
  retry_every = 2
  flaky       = 100
  rejects     = sink.rejects
}
sink "memory" "rejects" { table = "rejects" }
`, sink, runtime.Options{Retry: runtime.RetryPolicy{Attempts: 3, Backoff: time.Millisecond}})
	if r.err != nil {
		t.Fatal(r.err)
	}
	_, batches, _ := r.store.Batches("rejects")
	defer func() {
		for _, b := range batches {
			b.Release()
		}
	}()
	var reasons []string
	for _, b := range batches {
		col := b.Column(b.Schema().FieldIndices("_reject_reason")[0]).(*array.String)
		for i := range col.Len() {
			reasons = append(reasons, col.Value(i))
		}
	}
	if len(reasons) != 2 || reasons[0] != "busy (gave up after 3 attempts)" {
		t.Errorf("reasons %q", reasons)
	}
}

func TestCheckpointsCommitInOrderDespiteConcurrentWrites(t *testing.T) {
	sink, get := sinkPlugin(t)
	r := runPipeline(t, context.Background(), `
source "count" "ids" {
  batches = 40
  rows    = 5
}
sink "test" "out" {
  input         = source.ids
  delay         = "1ms"
  max_in_flight = 8
  batch { rows = 3 }
}
`, sink, runtime.Options{})
	if r.err != nil {
		t.Fatal(r.err)
	}
	if !slices.IsSorted(r.checkpoints) || r.checkpoints[len(r.checkpoints)-1] != 40 {
		t.Errorf("checkpoints not committed in order up to 40: %v", r.checkpoints)
	}
	s := get()
	if len(s.ids) != 200 {
		t.Errorf("wrote %d rows", len(s.ids))
	}
	for _, size := range s.sizes {
		if size > 3 {
			t.Errorf("a write of %d rows exceeds the batch size of 3", size)
		}
	}
}

func TestSourceRejectsAreRouted(t *testing.T) {
	sink, get := sinkPlugin(t)
	r := runPipeline(t, context.Background(), `
source "count" "ids" {
  batches      = 3
  rows         = 10
  reject_every = 7
  rejects      = sink.rejects
}
sink "test" "out" { input = source.ids }
sink "memory" "rejects" { table = "rejects" }
`, sink, runtime.Options{})
	if r.err != nil {
		t.Fatal(r.err)
	}
	src := node(t, r.stats, "source.ids")
	if src.In != 30 || src.Out != 25 || src.Rejected != 5 {
		t.Errorf("source stats %+v", src)
	}
	if len(get().ids) != 25 || r.store.Rows("rejects") != 5 {
		t.Errorf("wrote %d rows, %d rejects", len(get().ids), r.store.Rows("rejects"))
	}
}

func TestHeldRowsHoldTheCheckpoint(t *testing.T) {
	sink, get := sinkPlugin(t)
	var early atomic.Int64
	onCheckpoint := func(string, sdk.Checkpoint) {
		if get().writes.Load() == 0 {
			early.Add(1)
		}
	}
	r := runPipeline(t, context.Background(), `
source "count" "ids" {
  batches = 6
  rows    = 4
}
transform "dedupe" "d" {
  input = source.ids
  key   = "id % 5"
  keep  = "last"
}
sink "test" "out" { input = transform.d }
`, sink, runtime.Options{OnCheckpoint: onCheckpoint})
	if r.err != nil {
		t.Fatal(r.err)
	}
	if len(get().ids) != 5 {
		t.Errorf("wrote %v", get().ids)
	}
	// The transform held every row until the input ended, so no checkpoint
	// may be committed before the sink wrote what it flushed.
	if early.Load() > 0 {
		t.Errorf("%d checkpoints were committed before the held rows were written", early.Load())
	}
	if r.checkpoints[len(r.checkpoints)-1] != 6 {
		t.Errorf("checkpoints %v, want up to 6", r.checkpoints)
	}
}

func TestInterruptFinishesBatchesAlreadyRead(t *testing.T) {
	sink, get := sinkPlugin(t)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for get() == nil || get().writes.Load() < 5 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	r := runPipeline(t, ctx, `
source "count" "ids" { batches = 0 }
sink "test" "out" {
  input = source.ids
  delay = "2ms"
}
`, sink, runtime.Options{})
	if r.stats.Status != runtime.StatusInterrupted || !errors.Is(r.err, context.Canceled) {
		t.Fatalf("status %s, err %v", r.stats.Status, r.err)
	}
	src, out := node(t, r.stats, "source.ids"), node(t, r.stats, "sink.out")
	if src.Out == 0 || out.In != src.Out || out.Out != out.In {
		t.Errorf("not every row read was written: source %+v, sink %+v", src, out)
	}
	if int64(len(get().ids)) != out.Out || !get().closed.Load() {
		t.Errorf("sink holds %d rows (closed %v), stats say %d", len(get().ids), get().closed.Load(), out.Out)
	}
}

func TestGracePeriodAbandonsStuckWrites(t *testing.T) {
	sink, get := sinkPlugin(t)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for get() == nil || get().writes.Load() < 1 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	start := time.Now()
	r := runPipeline(t, ctx, `
source "count" "ids" { batches = 0 }
sink "test" "out" {
  input = source.ids
  block = true
}
`, sink, runtime.Options{Grace: 50 * time.Millisecond})
	if r.stats.Status != runtime.StatusInterrupted {
		t.Errorf("status %s, err %v", r.stats.Status, r.err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %s to stop", d)
	}
}

func TestSinkErrorFailsTheRun(t *testing.T) {
	sink, _ := sinkPlugin(t)
	r := runPipeline(t, context.Background(), `
source "count" "ids" { batches = 0 }
sink "test" "out" {
  input = source.ids
  error = "disk full"
}
`, sink, runtime.Options{})
	if r.stats.Status != runtime.StatusFailed || r.err == nil || !strings.Contains(r.err.Error(), "sink.out: write: disk full") {
		t.Errorf("status %s, err %v", r.stats.Status, r.err)
	}
}

// rowsTransform answers with Keep or an aligned Out, as configured: it
// rejects ids that are multiples of reject_every and filters multiples of
// drop_every (Keep only). The aligned Out is a computed copy of id, null in
// rejected rows. Modes "keepbad" and "both" break the contract.
type rowsConfig struct {
	Mode        string `sluice:"mode"`
	RejectEvery int    `sluice:"reject_every"`
	DropEvery   int    `sluice:"drop_every"`
}

var rowsPlugin = sdk.TransformPlugin(sdk.Info{Name: "rows"}, func(c rowsConfig) (sdk.Transform, error) {
	return &rowsTransform{cfg: c}, nil
})

type rowsTransform struct {
	cfg rowsConfig
	mem memory.Allocator
}

func (t *rowsTransform) Open(_ context.Context, h sdk.Host, in *arrow.Schema) (*arrow.Schema, error) {
	t.mem = h.Allocator()
	return in, nil
}

func (t *rowsTransform) Process(_ context.Context, in arrow.RecordBatch) (sdk.Result, error) {
	ids := in.Column(0).(*array.Int64)
	keep := array.NewBooleanBuilder(t.mem)
	defer keep.Release()
	copied := array.NewInt64Builder(t.mem)
	defer copied.Release()
	var res sdk.Result
	for i := range ids.Len() {
		id := ids.Value(i)
		switch {
		case t.cfg.RejectEvery > 0 && id%int64(t.cfg.RejectEvery) == 0:
			res.Rejects = append(res.Rejects, sdk.RowError{Row: i, Code: "rows.bad", Message: fmt.Sprintf("id %d", id)})
			keep.Append(t.cfg.Mode == "keepbad")
			copied.AppendNull()
		case t.cfg.DropEvery > 0 && id%int64(t.cfg.DropEvery) == 0:
			res.Filtered++
			keep.Append(false)
			copied.Append(id)
		default:
			keep.Append(true)
			copied.Append(id)
		}
	}
	if t.cfg.Mode != "aligned" {
		res.Keep = keep.NewBooleanArray()
	}
	if t.cfg.Mode == "aligned" || t.cfg.Mode == "both" {
		col := copied.NewArray()
		res.Out = array.NewRecordBatch(in.Schema(), []arrow.Array{col}, in.NumRows())
		col.Release()
	}
	return res, nil
}

func (t *rowsTransform) Close(context.Context) error { return nil }

// A transform's Keep passes on the input rows it selects, and an aligned
// Out loses its rejected rows; both account for every row, and their
// output fans out to every reader.
func TestKeepAndAlignedOutAreAccounted(t *testing.T) {
	sink, get := sinkPlugin(t)
	r := runPipeline(t, context.Background(), `
source "count" "ids" {
  batches = 3
  rows    = 10
}
transform "rows" "keep" {
  input        = source.ids
  mode         = "keep"
  reject_every = 5
  drop_every   = 3
  rejects      = sink.rejects
}
transform "rows" "align" {
  input        = transform.keep
  mode         = "aligned"
  reject_every = 4
  rejects      = sink.rejects
}
sink "test" "out" { input = transform.align }
sink "memory" "copy" {
  input = transform.align
  table = "copy"
}
sink "memory" "rejects" { table = "rejects" }
`, sink, runtime.Options{})
	if r.err != nil {
		t.Fatal(r.err)
	}
	keep, align := node(t, r.stats, "transform.keep"), node(t, r.stats, "transform.align")
	if keep.In != 30 || keep.Out != 16 || keep.Filtered != 8 || keep.Rejected != 6 || !keep.Balanced() {
		t.Errorf("keep stats %+v", keep)
	}
	if align.In != 16 || align.Out != 12 || align.Rejected != 4 || !align.Balanced() {
		t.Errorf("align stats %+v", align)
	}
	want := []int64{1, 2, 7, 11, 13, 14, 17, 19, 22, 23, 26, 29}
	if got := get().ids; !slices.Equal(got, want) {
		t.Errorf("wrote %v, want %v", got, want)
	}
	if n := r.store.Rows("copy"); n != 12 {
		t.Errorf("the second reader got %d rows, want 12", n)
	}
	if n := r.store.Rows("rejects"); n != 10 {
		t.Errorf("%d rejected rows, want 10", n)
	}
	if got := r.checkpoints[len(r.checkpoints)-1]; got != 3 {
		t.Errorf("last checkpoint %d, want 3", got)
	}
}

// A Keep that keeps a rejected row, or a result with both Out and Keep,
// fails the run.
func TestKeepContractViolationsFailTheRun(t *testing.T) {
	for mode, want := range map[string]string{
		"keepbad": "a rejected row must be false in Keep",
		"both":    "returned both Out and Keep",
	} {
		sink, _ := sinkPlugin(t)
		r := runPipeline(t, context.Background(), fmt.Sprintf(`
source "count" "ids" {
  batches = 2
  rows    = 10
}
transform "rows" "t" {
  input        = source.ids
  mode         = %q
  reject_every = 3
  max_rejects  = 100
}
sink "test" "out" { input = transform.t }
`, mode), sink, runtime.Options{})
		if r.err == nil || !strings.Contains(r.err.Error(), "transform.t: ") || !strings.Contains(r.err.Error(), want) {
			t.Errorf("%s: got %v, want an error saying %q", mode, r.err, want)
		}
	}
}

// TestSinkBatchesFollowTheirSize: the engine joins and splits batches to each
// sink's size, in rows and in bytes, including for a plugin that declares
// only the most rows it takes.
func TestSinkBatchesFollowTheirSize(t *testing.T) {
	cases := []struct {
		name   string
		writes sdk.WritePolicy
		batch  string
		want   int64 // rows in every batch but the last
	}{
		{"plugin rows", sdk.WritePolicy{Rows: 7}, "", 7},
		{"pipeline rows", sdk.WritePolicy{Rows: 7}, "batch { rows = 12 }", 12},
		// An int64 id is 8 bytes: 40 bytes is 5 rows.
		{"pipeline bytes", sdk.WritePolicy{Rows: 7}, `batch { bytes = "40" }`, 5},
		{"plugin maximum", sdk.WritePolicy{MaxRows: 4}, "", 4},
		{"pipeline bytes under plugin maximum", sdk.WritePolicy{MaxRows: 4}, `batch { bytes = "24" }`, 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var built atomic.Pointer[testSink]
			plugin := sdk.SinkPlugin(sdk.Info{Name: "test", Writes: c.writes}, func(cfg testSinkConfig) (sdk.Sink, error) {
				s := &testSink{cfg: cfg, attempts: map[int64]int{}}
				built.Store(s)
				return s, nil
			})
			// 5 batches of 10 rows: joined and split across batch boundaries.
			r := runPipeline(t, context.Background(), `
source "count" "ids" {
  batches = 5
  rows    = 10
}
sink "test" "out" {
  input = source.ids
  `+c.batch+`
}
`, plugin, runtime.Options{})
			if r.err != nil {
				t.Fatal(r.err)
			}
			s := built.Load()
			var total int64
			for i, n := range s.sizes {
				total += n
				if (i < len(s.sizes)-1 && n != c.want) || n > c.want || n < 1 {
					t.Fatalf("batch sizes %v, want batches of %d rows", s.sizes, c.want)
				}
			}
			if total != 50 || !slices.Equal(s.ids, ids(0, 50)) {
				t.Errorf("wrote %d rows: %v", total, s.ids)
			}
		})
	}
}

// ids returns the ids from, from+1, … up to but not including to.
func ids(from, to int64) []int64 {
	var out []int64
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}
