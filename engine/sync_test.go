package engine_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sluicedata/sluice/engine"
	"github.com/sluicedata/sluice/engine/runtime"
	memplugin "github.com/sluicedata/sluice/plugins/memory"
	"github.com/sluicedata/sluice/sdk"
	"github.com/sluicedata/sluice/sdk/wire"
)

// recordsSink upserts rows into records by a key column, as a CRM would,
// and implements sdk.Syncer: it is what a sync block needs.
type recordsConfig struct {
	Key   string `sluice:"key,required"`
	Label string `sluice:"label"`
}

type records struct {
	mu      sync.Mutex
	rows    map[string]string // key → "name"
	writes  int               // rows written, over all runs
	left    map[string]sdk.LeaveAction
	leaveFn int
	refuse  string // a name the sink refuses to write
	calls   []int  // rows of each Write, over all runs
}

type recordsSink struct {
	cfg recordsConfig
	db  *records
	key int
}

func (s *recordsSink) Open(_ context.Context, _ sdk.Host, in *arrow.Schema) error {
	s.key = in.FieldIndices(s.cfg.Key)[0]
	return nil
}

func (s *recordsSink) Write(_ context.Context, rec arrow.RecordBatch) (sdk.WriteResult, error) {
	s.db.mu.Lock()
	defer s.db.mu.Unlock()
	var res sdk.WriteResult
	s.db.calls = append(s.db.calls, int(rec.NumRows()))
	for i := range int(rec.NumRows()) {
		name := rec.Column(1).ValueStr(i)
		if name == s.db.refuse {
			res.Rejects = append(res.Rejects, sdk.RowError{Row: i, Code: "test.refused", Message: "refused"})
			continue
		}
		s.db.rows[rec.Column(s.key).ValueStr(i)] = name
		s.db.writes++
	}
	return res, nil
}

func (s *recordsSink) Close(context.Context) error { return nil }
func (s *recordsSink) Idempotent() bool            { return true }
func (s *recordsSink) KeyColumns() []string        { return []string{s.cfg.Key} }

func (s *recordsSink) Leave(_ context.Context, keys arrow.RecordBatch, action sdk.LeaveAction) (sdk.WriteResult, error) {
	s.db.mu.Lock()
	defer s.db.mu.Unlock()
	s.db.leaveFn++
	for i := range int(keys.NumRows()) {
		k := keys.Column(0).ValueStr(i)
		s.db.left[k] = action
		if action == sdk.LeaveDelete {
			delete(s.db.rows, k)
		}
	}
	return sdk.WriteResult{}, nil
}

type syncFixture struct {
	t     *testing.T
	eng   *engine.Engine
	store *memplugin.Store
	db    *records
	dir   string
}

func newSyncFixture(t *testing.T) *syncFixture { return newSyncFixtureServed(t, false) }

// newSyncFixtureServed is newSyncFixture with, if overWire, the records
// sink served over the wire protocol, as from a plugin binary.
func newSyncFixtureServed(t *testing.T, overWire bool) *syncFixture {
	f := &syncFixture{t: t, store: memplugin.NewStore(), db: &records{rows: map[string]string{}, left: map[string]sdk.LeaveAction{}}, dir: t.TempDir()}
	t.Cleanup(f.store.Clear)
	sink := sdk.SinkPlugin(sdk.Info{Name: "records"}, func(c recordsConfig) (sdk.Sink, error) { return &recordsSink{cfg: c, db: f.db}, nil })
	if overWire {
		c, stop, err := wire.Pipe([]sdk.Plugin{sink}, wire.ServerOptions{}, wire.ClientOptions{Label: "test plugin process"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(stop)
		remote, err := c.Plugins(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		sink = remote[0]
	}
	eng, err := engine.New(engine.WithPlugins(append(f.store.Plugins(), sink)...))
	if err != nil {
		t.Fatal(err)
	}
	f.eng = eng
	return f
}

// input puts rows "id=name" in the source table.
func (f *syncFixture) input(rows ...string) {
	schema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}, {Name: "name", Type: arrow.BinaryTypes.String}}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for _, r := range rows {
		var id int64
		var name string
		fmt.Sscanf(strings.Replace(r, "=", " ", 1), "%d %s", &id, &name)
		b.Field(0).(*array.Int64Builder).Append(id)
		b.Field(1).(*array.StringBuilder).Append(name)
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	f.store.Put("people", schema, rec)
}

func (f *syncFixture) run(sinkBody string, opts engine.RunOptions) (engine.NodeStats, error) {
	f.t.Helper()
	src := fmt.Sprintf(`
state { path = %q }
source "memory" "people" { table = "people" }
sink "records" "crm" {
  input   = source.people
  key     = "id"
  rejects = sink.rejects
%s
}
sink "memory" "rejects" { table = "rejects" }
`, filepath.Join(f.dir, "state.db"), sinkBody)
	p, err := f.eng.Parse(map[string][]byte{"p.hcl": []byte(src)}, engine.Inputs{LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		return engine.NodeStats{}, err
	}
	stats, err := p.Run(context.Background(), opts)
	n, _ := stats.Node("sink.crm")
	if err == nil && !n.Balanced() {
		f.t.Errorf("sink not balanced: %+v", n)
	}
	return n, err
}

func (f *syncFixture) writes() int {
	f.db.mu.Lock()
	defer f.db.mu.Unlock()
	return f.db.writes
}

const syncChanges = `  sync {
    mode     = "changes"
    on_leave = "delete"
  }`

// A sync block works alike with the sink compiled in and served from a
// plugin binary: the engine must not tell them apart.
func TestSyncSendsOnlyNewAndChangedRows(t *testing.T) {
	syncBothSides(t, testSyncSendsOnlyNewAndChangedRows)
}
func TestSyncActsOnRowsThatLeft(t *testing.T) { syncBothSides(t, testSyncActsOnRowsThatLeft) }

func syncBothSides(t *testing.T, test func(*testing.T, *syncFixture)) {
	t.Run("compiled-in", func(t *testing.T) { test(t, newSyncFixtureServed(t, false)) })
	t.Run("over-the-wire", func(t *testing.T) { test(t, newSyncFixtureServed(t, true)) })
}

func testSyncSendsOnlyNewAndChangedRows(t *testing.T, f *syncFixture) {
	var rows []string
	for i := range 100 {
		rows = append(rows, fmt.Sprintf("%d=n%d", i, i))
	}
	f.input(rows...)
	if n, err := f.run(syncChanges, engine.RunOptions{}); err != nil || n.Out != 100 || f.writes() != 100 {
		t.Fatalf("first run: %v %+v, %d writes", err, n, f.writes())
	}
	// Unchanged: nothing is sent.
	n, err := f.run(syncChanges, engine.RunOptions{})
	if err != nil || f.writes() != 100 || n.Unchanged != 100 || n.Out != 100 {
		t.Errorf("unchanged run: %v %+v, %d writes", err, n, f.writes())
	}
	// One changed, one new: two sent.
	rows[7] = "7=changed"
	rows = append(rows, "100=new")
	f.input(rows...)
	n, err = f.run(syncChanges, engine.RunOptions{})
	if err != nil || f.writes() != 102 || n.Unchanged != 99 || f.db.rows["7"] != "changed" {
		t.Errorf("run with one change and one new row: %v %+v, %d writes", err, n, f.writes())
	}
	// --full sends everything again.
	if _, err := f.run(syncChanges, engine.RunOptions{Full: true}); err != nil || f.writes() != 203 {
		t.Errorf("--full: %v, %d writes", err, f.writes())
	}
	// A batch size does not change what is written: nothing is sent.
	if _, err := f.run(syncChanges+"\n  batch { rows = 7 }", engine.RunOptions{}); err != nil || f.writes() != 203 {
		t.Errorf("another batch size: %v, %d writes", err, f.writes())
	}
	// A new configuration of the sink sends everything again.
	if _, err := f.run(syncChanges+"\n  label = \"v2\"", engine.RunOptions{}); err != nil || f.writes() != 304 {
		t.Errorf("changed configuration: %v, %d writes", err, f.writes())
	}
}

func testSyncActsOnRowsThatLeft(t *testing.T, f *syncFixture) {
	var rows []string
	for i := range 50 {
		rows = append(rows, fmt.Sprintf("%d=n%d", i, i))
	}
	f.input(rows...)
	if _, err := f.run(syncChanges, engine.RunOptions{}); err != nil {
		t.Fatal(err)
	}
	// Three rows leave: 6% of the snapshot, under the 10% rail.
	f.input(slices.Delete(slices.Clone(rows), 10, 13)...)
	n, err := f.run(syncChanges, engine.RunOptions{})
	if err != nil || n.Left != 3 || len(f.db.left) != 3 || f.db.left["11"] != sdk.LeaveDelete || len(f.db.rows) != 47 {
		t.Fatalf("leave run: %v %+v, left %v", err, n, f.db.left)
	}
	// Done once: the next run has nothing more to act on.
	if n, err := f.run(syncChanges, engine.RunOptions{}); err != nil || n.Left != 0 {
		t.Errorf("after the leave: %v %+v", err, n)
	}
	// on_leave = "nothing" leaves the records alone.
	f.input(rows[:40]...)
	calls := f.db.leaveFn
	if _, err := f.run(`  sync { mode = "changes" }`, engine.RunOptions{}); err != nil || f.db.leaveFn != calls {
		t.Errorf("on_leave nothing: %v, Leave called %d times", err, f.db.leaveFn-calls)
	}
}

func TestSyncSafetyRail(t *testing.T) {
	f := newSyncFixture(t)
	var rows []string
	for i := range 50 {
		rows = append(rows, fmt.Sprintf("%d=n%d", i, i))
	}
	f.input(rows...)
	if _, err := f.run(syncChanges, engine.RunOptions{}); err != nil {
		t.Fatal(err)
	}
	// An empty input looks like every row left: the rail refuses.
	f.input()
	_, err := f.run(syncChanges, engine.RunOptions{})
	if !errors.Is(err, runtime.ErrMassLeave) || !strings.Contains(err.Error(), "--allow-mass-delete") || len(f.db.left) != 0 {
		t.Fatalf("rail: %v, left %d", err, len(f.db.left))
	}
	// A row limit trips too.
	f.input(rows[2:]...)
	if _, err := f.run(syncChanges+"\n  # rail\n", engine.RunOptions{}); err != nil {
		t.Fatalf("4%% leave under the default rail: %v", err)
	}
	f.input(rows[4:]...)
	if _, err := f.run(strings.Replace(syncChanges, `on_leave = "delete"`, "on_leave = \"delete\"\n    max_leave = 1", 1), engine.RunOptions{}); !errors.Is(err, runtime.ErrMassLeave) {
		t.Errorf("max_leave = 1 with 2 rows leaving: %v", err)
	}
	// Told to, it proceeds.
	f.input()
	if n, err := f.run(syncChanges, engine.RunOptions{AllowMassDelete: true}); err != nil || n.Left == 0 || len(f.db.rows) != 0 {
		t.Errorf("--allow-mass-delete: %v %+v, %d records left", err, n, len(f.db.rows))
	}
}

func TestSyncDoesNotConfirmRejectedRows(t *testing.T) {
	f := newSyncFixture(t)
	f.input("1=ok", "2=bad", "3=ok")
	f.db.refuse = "bad"
	if n, err := f.run(syncChanges, engine.RunOptions{}); err != nil || n.Rejected != 1 {
		t.Fatalf("%v %+v", err, n)
	}
	// The rejected row was not written: the next run sends it again, and
	// only it.
	f.db.refuse = ""
	before := f.writes()
	if _, err := f.run(syncChanges, engine.RunOptions{}); err != nil || f.writes() != before+1 || f.db.rows["2"] != "bad" {
		t.Errorf("rerun after a rejected row: %v, %d new writes", err, f.writes()-before)
	}
}

func TestSyncNeedsASinkThatKnowsItsKeys(t *testing.T) {
	f := newSyncFixture(t)
	f.input("1=a")
	p, err := f.eng.Parse(map[string][]byte{"p.hcl": []byte(`
source "memory" "people" { table = "people" }
sink "memory" "out" {
  input = source.people
  table = "out"
  sync { mode = "changes" }
}
`)}, engine.Inputs{})
	if err != nil {
		t.Fatal(err)
	}
	err = p.Validate(context.Background(), engine.ValidateOptions{})
	if err == nil || !strings.Contains(err.Error(), "This sink cannot sync") || !strings.Contains(err.Error(), "p.hcl:6:3") {
		t.Errorf("validate: %v", err)
	}
}

// The rows that changed are gathered into full batches before they are
// written: 1% of the rows changed is 1% of the sink's requests, not a
// request per batch with a row or two in it.
func TestSyncGathersChangedRowsIntoFullBatches(t *testing.T) {
	f := newSyncFixture(t)
	var rows []string
	for i := range 1000 {
		rows = append(rows, fmt.Sprintf("%d=n%d", i, i))
	}
	f.input(rows...)
	body := syncChanges + "\n  batch { rows = 100 }"
	if _, err := f.run(body, engine.RunOptions{}); err != nil || len(f.db.calls) != 10 {
		t.Fatalf("first run: %v, writes of %v rows", err, f.db.calls)
	}
	for i := 0; i < 1000; i += 50 {
		rows[i] = fmt.Sprintf("%d=changed", i)
	}
	f.input(rows...)
	f.db.calls = nil
	if n, err := f.run(body, engine.RunOptions{}); err != nil || n.Unchanged != 980 {
		t.Fatalf("second run: %v %+v", err, n)
	}
	if !slices.Equal(f.db.calls, []int{20}) {
		t.Errorf("20 changed rows, spread over the input, were written in batches of %v rows; want one of 20", f.db.calls)
	}
}
