package engine_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sluicedata/sluice/engine"
	"github.com/sluicedata/sluice/sdk"
	"github.com/sluicedata/sluice/sdk/wire"
)

// seqSource emits batches of ten consecutive ids, with a checkpoint after
// each, up to `batches`; it can pause between batches and call itself
// incremental.
type seqConfig struct {
	Batches     int           `sluice:"batches"`
	Pause       time.Duration `sluice:"pause"`
	Incremental bool          `sluice:"incremental"`
	// Value fills the second column, v: changing it changes every row.
	Value string `sluice:"value"`
}

type seqSource struct {
	cfg seqConfig
	mem memory.Allocator
}

var idsSchema = arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}, {Name: "v", Type: arrow.BinaryTypes.String}}, nil)

func (s *seqSource) Open(_ context.Context, h sdk.Host) (*arrow.Schema, error) {
	s.mem = h.Allocator()
	return idsSchema, nil
}

func (s *seqSource) Read(ctx context.Context, from sdk.Checkpoint, emit sdk.Emitter) error {
	start := 0
	if len(from) == 8 {
		start = int(binary.BigEndian.Uint64(from))
	}
	for b := start; b < s.cfg.Batches; b++ {
		if s.cfg.Pause > 0 {
			select {
			case <-time.After(s.cfg.Pause):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		ib := array.NewInt64Builder(s.mem)
		vb := array.NewStringBuilder(s.mem)
		for i := range 10 {
			ib.Append(int64(b*10 + i))
			vb.Append(s.cfg.Value)
		}
		ids, vs := ib.NewArray(), vb.NewArray()
		ib.Release()
		vb.Release()
		rec := array.NewRecordBatch(idsSchema, []arrow.Array{ids, vs}, 10)
		ids.Release()
		vs.Release()
		err := emit.Emit(ctx, sdk.Batch{Record: rec, Checkpoint: binary.BigEndian.AppendUint64(nil, uint64(b+1))})
		rec.Release()
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *seqSource) Close(context.Context) error { return nil }
func (s *seqSource) Incremental() bool           { return s.cfg.Incremental }

// kvSink writes ids into a map that outlives runs, counting writes per id:
// an upsert by key, idempotent unless told otherwise.
type kvConfig struct {
	Idempotent bool   `sluice:"idempotent" default:"true"`
	Label      string `sluice:"label"`
}

type kvStore struct {
	mu     sync.Mutex
	writes map[int64]int
	// values holds the last v written per id; left the ids Leave was
	// called with.
	values map[int64]string
	left   map[int64]int
	total  int // rows written, over all runs
}

type kvSink struct {
	cfg   kvConfig
	store *kvStore
}

func (k *kvSink) Open(context.Context, sdk.Host, *arrow.Schema) error { return nil }
func (k *kvSink) Write(_ context.Context, rec arrow.RecordBatch) (sdk.WriteResult, error) {
	k.store.mu.Lock()
	defer k.store.mu.Unlock()
	ids := rec.Column(0).(*array.Int64)
	vs := rec.Column(1).(*array.String)
	for i := range ids.Len() {
		k.store.writes[ids.Value(i)]++
		k.store.values[ids.Value(i)] = vs.Value(i)
		k.store.total++
	}
	return sdk.WriteResult{}, nil
}
func (k *kvSink) Close(context.Context) error { return nil }
func (k *kvSink) Idempotent() bool            { return k.cfg.Idempotent }

// kvSyncSink is kvSink keyed by id, so that it can sync.
type kvSyncSink struct{ kvSink }

func (k *kvSyncSink) KeyColumns() []string { return []string{"id"} }

func (k *kvSyncSink) Leave(_ context.Context, keys arrow.RecordBatch, _ sdk.LeaveAction) (sdk.WriteResult, error) {
	k.store.mu.Lock()
	defer k.store.mu.Unlock()
	ids := keys.Column(0).(*array.Int64)
	for i := range ids.Len() {
		k.store.left[ids.Value(i)]++
	}
	return sdk.WriteResult{}, nil
}

func statefulEngine(t *testing.T) (*engine.Engine, *kvStore) {
	t.Helper()
	kv, plugins := statefulPlugins()
	eng, err := engine.New(engine.WithPlugins(plugins...))
	if err != nil {
		t.Fatal(err)
	}
	return eng, kv
}

func statefulPlugins() (*kvStore, []sdk.Plugin) {
	kv := &kvStore{writes: map[int64]int{}, values: map[int64]string{}, left: map[int64]int{}}
	src := sdk.SourcePlugin(sdk.Info{Name: "seq"}, func(c seqConfig) (sdk.Source, error) { return &seqSource{cfg: c}, nil })
	sink := sdk.SinkPlugin(sdk.Info{Name: "kv"}, func(c kvConfig) (sdk.Sink, error) { return &kvSink{cfg: c, store: kv}, nil })
	syncSink := sdk.SinkPlugin(sdk.Info{Name: "kvsync"}, func(c kvConfig) (sdk.Sink, error) { return &kvSyncSink{kvSink{cfg: c, store: kv}}, nil })
	return kv, []sdk.Plugin{src, sink, syncSink}
}

// statefulEngineOverWire is statefulEngine with its plugins served over
// the wire protocol, as from a plugin binary: the engine must resume, and
// keep a high-water mark, on their claims as it does on a builtin's.
func statefulEngineOverWire(t *testing.T) (*engine.Engine, *kvStore) {
	t.Helper()
	kv, plugins := statefulPlugins()
	c, stop, err := wire.Pipe(plugins, wire.ServerOptions{}, wire.ClientOptions{Label: "test plugin process"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	remote, err := c.Plugins(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.New(engine.WithPlugins(remote...))
	if err != nil {
		t.Fatal(err)
	}
	return eng, kv
}

// bothSides runs test with the plugins compiled in and served over the
// wire: the engine must not tell them apart.
func bothSides(t *testing.T, test func(*testing.T, func(*testing.T) (*engine.Engine, *kvStore))) {
	t.Run("compiled-in", func(t *testing.T) { test(t, statefulEngine) })
	t.Run("over-the-wire", func(t *testing.T) { test(t, statefulEngineOverWire) })
}

func parseWith(t *testing.T, eng *engine.Engine, src string) *engine.Pipeline {
	t.Helper()
	p, err := eng.Parse(map[string][]byte{"p.hcl": []byte(src)}, engine.Inputs{LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// interruptAfter runs p and cancels it once the sink has seen n ids.
func interruptAfter(t *testing.T, p *engine.Pipeline, kv *kvStore, n int) engine.Stats {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for {
			kv.mu.Lock()
			seen := len(kv.writes)
			kv.mu.Unlock()
			if seen >= n {
				cancel()
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	stats, _ := p.Run(ctx, engine.RunOptions{Grace: 5 * time.Second})
	if stats.Status != engine.StatusInterrupted {
		t.Fatalf("first run: status %s (%s)", stats.Status, stats.Error)
	}
	return stats
}

func TestInterruptedRunResumesIntoAnIdempotentSink(t *testing.T) {
	bothSides(t, testInterruptedRunResumesIntoAnIdempotentSink)
}

func testInterruptedRunResumesIntoAnIdempotentSink(t *testing.T, statefulEngine func(*testing.T) (*engine.Engine, *kvStore)) {
	eng, kv := statefulEngine(t)
	p := parseWith(t, eng, `
source "seq" "ids" {
  batches = 30
  pause   = "5ms"
}
sink "kv" "out" { input = source.ids }
`)
	first := interruptAfter(t, p, kv, 50)
	read, _ := first.Node("source.ids")
	second, err := p.Run(context.Background(), engine.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	reread, _ := second.Node("source.ids")
	if reread.In >= 300 || read.In+reread.In < 300 {
		t.Errorf("the rerun read %d rows after the first read %d: it did not resume", reread.In, read.In)
	}
	kv.mu.Lock()
	if len(kv.writes) != 300 {
		t.Errorf("%d distinct ids written, want all 300", len(kv.writes))
	}
	// Rows after the last saved checkpoint may be written twice, never more,
	// and nothing before it is.
	for id, n := range kv.writes {
		if n > 2 {
			t.Errorf("id %d written %d times", id, n)
		}
	}
	kv.mu.Unlock()
	// A finished run forgets the checkpoint: the next starts over.
	third, _ := p.Run(context.Background(), engine.RunOptions{})
	if n, _ := third.Node("source.ids"); n.In != 300 {
		t.Errorf("the run after a finished one read %d rows, want all 300", n.In)
	}
}

func TestInterruptedRunRestartsWhenASinkCannotTakeRowsTwice(t *testing.T) {
	bothSides(t, testInterruptedRunRestartsWhenASinkCannotTakeRowsTwice)
}

func testInterruptedRunRestartsWhenASinkCannotTakeRowsTwice(t *testing.T, statefulEngine func(*testing.T) (*engine.Engine, *kvStore)) {
	eng, kv := statefulEngine(t)
	p := parseWith(t, eng, `
source "seq" "ids" {
  batches = 30
  pause   = "5ms"
}
sink "kv" "out" {
  input      = source.ids
  idempotent = false
}
`)
	interruptAfter(t, p, kv, 50)
	second, err := p.Run(context.Background(), engine.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := second.Node("source.ids"); n.In != 300 {
		t.Errorf("the rerun read %d rows, want all 300 from the beginning", n.In)
	}
}

func TestIncrementalSourceKeepsItsHighWaterMark(t *testing.T) {
	bothSides(t, testIncrementalSourceKeepsItsHighWaterMark)
}

func testIncrementalSourceKeepsItsHighWaterMark(t *testing.T, statefulEngine func(*testing.T) (*engine.Engine, *kvStore)) {
	eng, _ := statefulEngine(t)
	src := `
source "seq" "ids" {
  batches     = %d
  incremental = true
}
sink "kv" "out" { input = source.ids }
`
	// The memory state belongs to one parsed pipeline, so run the same one.
	p := parseWith(t, eng, fmt.Sprintf(src, 5))
	if stats, err := p.Run(context.Background(), engine.RunOptions{}); err != nil || stats.Nodes[0].In != 50 {
		t.Fatalf("first run: %v %+v", err, stats.Nodes)
	}
	store, err := p.State(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	cps, _ := store.Checkpoints(context.Background())
	if binary.BigEndian.Uint64(cps["source.ids"]) != 5 {
		t.Errorf("checkpoint after a finished incremental run: %v", cps)
	}
	stats, err := p.Run(context.Background(), engine.RunOptions{})
	if err != nil || stats.Nodes[0].In != 0 {
		t.Errorf("a second run with nothing new read %d rows (%v)", stats.Nodes[0].In, err)
	}
	runs, _ := store.Runs(context.Background(), 0)
	if len(runs) != 2 || runs[0].Status != "succeeded" || runs[1].Ended.IsZero() {
		t.Errorf("run history %+v", runs)
	}
}

// A sync that acts on rows that left needs the whole input every run: over
// an incremental source every row not read would look as if it left, so
// validation refuses it at on_leave, naming the source — and accepts
// on_leave = "nothing", or a source that reads everything.
func TestOnLeaveNeedsTheWholeInput(t *testing.T) {
	eng, _ := statefulEngine(t)
	src := `
source "seq" "ids" {
  batches     = 1
  incremental = %t
}
sink "kvsync" "out" {
  input = source.ids
  sync {
    mode     = "changes"
    on_leave = %q
  }
}
`
	err := parseWith(t, eng, fmt.Sprintf(src, true, "delete")).Validate(context.Background(), engine.ValidateOptions{})
	for _, want := range []string{"on_leave needs the whole input", "source.ids reads incrementally", `Use on_leave = "nothing" with an incremental source`, "p.hcl:10:"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("on_leave = \"delete\" over an incremental source: %v; want it to say %q", err, want)
		}
	}
	if err := parseWith(t, eng, fmt.Sprintf(src, true, "nothing")).Validate(context.Background(), engine.ValidateOptions{}); err != nil {
		t.Errorf("on_leave = \"nothing\" over an incremental source: %v", err)
	}
	if err := parseWith(t, eng, fmt.Sprintf(src, false, "delete")).Validate(context.Background(), engine.ValidateOptions{}); err != nil {
		t.Errorf("on_leave = \"delete\" over a source that reads everything: %v", err)
	}
}
