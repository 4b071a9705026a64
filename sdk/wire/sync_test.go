package wire

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sluicedata/sluice/sdk"
)

// leaveLog is what a leavingSink's Leave calls got.
type leaveLog struct {
	mu      sync.Mutex
	calls   int
	actions []sdk.LeaveAction
	keys    []string // "id/region" of each row acted on, in order
	schema  *arrow.Schema
}

// leavingSink syncs by id and region; its Leave rejects rows whose id is
// negative, as a destination rejects keys it has no record of.
type leavingSink struct {
	claimSink
	log *leaveLog
}

func (s *leavingSink) KeyColumns() []string { return []string{"id", "region"} }

func (s *leavingSink) Leave(_ context.Context, keys arrow.RecordBatch, action sdk.LeaveAction) (sdk.WriteResult, error) {
	s.log.mu.Lock()
	defer s.log.mu.Unlock()
	s.log.calls++
	s.log.schema = keys.Schema()
	s.log.actions = append(s.log.actions, action)
	var res sdk.WriteResult
	ids, regions := keys.Column(0).(*array.Int64), keys.Column(1).(*array.String)
	for i := range int(keys.NumRows()) {
		if ids.Value(i) < 0 {
			res.Rejects = append(res.Rejects, sdk.RowError{Row: i, Code: "test.no_record", Message: "no such record"})
			continue
		}
		s.log.keys = append(s.log.keys, ids.ValueStr(i)+"/"+regions.Value(i))
		res.Deleted++
	}
	return res, nil
}

// A syncing sink's Leave over gRPC gets the keys the engine sent, with
// their own schema, and its per-row results come back with the rows they
// name, also when the keys are too many for one message and cross in
// several calls.
func TestLeaveCrossesTheWire(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	log := &leaveLog{}
	plugins := []sdk.Plugin{sdk.SinkPlugin(sdk.Info{Name: "leaving"}, func(struct{}) (sdk.Sink, error) {
		return &leavingSink{claimSink: claimSink{log: &callLog{}}, log: log}, nil
	})}
	// A small message limit, so that the keys below take several calls.
	c, stop, err := Pipe(plugins, ServerOptions{Allocator: mem, MaxMessageBytes: 16 << 10}, ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	remote, err := c.Plugins(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	inst := newInstance(t, remote[0], ``)
	openInstance(t, inst, mem)
	defer closeInstance(inst)
	syncer, ok := inst.(sdk.Syncer)
	if !ok {
		t.Fatalf("over gRPC, a syncing sink is a %T, no sdk.Syncer", inst)
	}
	ctx := context.Background()
	// A write first: the write stream's schema is not the keys'.
	rec := oneRow(mem)
	_, err = inst.(sdk.Sink).Write(ctx, rec)
	rec.Release()
	if err != nil {
		t.Fatal(err)
	}

	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "region", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	const rows = 3000
	missing := []int{5, 1500, rows - 1}
	var want []string
	for i := range rows {
		id := int64(i)
		if slices.Contains(missing, i) {
			id = -id
		} else {
			want = append(want, strconv.Itoa(i)+"/eu")
		}
		b.Field(0).(*array.Int64Builder).Append(id)
		b.Field(1).(*array.StringBuilder).Append("eu")
	}
	keys := b.NewRecordBatch()
	b.Release()
	defer keys.Release()

	res, err := syncer.Leave(ctx, keys, sdk.LeaveDelete)
	if err != nil {
		t.Fatal(err)
	}
	var rejected []int
	for _, e := range res.Rejects {
		rejected = append(rejected, e.Row)
		if e.Code != "test.no_record" {
			t.Errorf("row %d rejected with code %q, want test.no_record", e.Row, e.Code)
		}
	}
	if !slices.Equal(rejected, missing) {
		t.Errorf("Leave over gRPC rejected rows %v, want %v", rejected, missing)
	}
	if res.Deleted != rows-len(missing) {
		t.Errorf("Leave over gRPC deleted %d, want %d", res.Deleted, rows-len(missing))
	}
	log.mu.Lock()
	defer log.mu.Unlock()
	if !slices.Equal(log.keys, want) {
		t.Errorf("the plugin's sink acted on %d keys, want the %d not missing, in order", len(log.keys), len(want))
	}
	if log.calls < 2 {
		t.Errorf("keys larger than a message crossed in %d call, want several", log.calls)
	}
	for _, a := range log.actions {
		if a != sdk.LeaveDelete {
			t.Errorf("the plugin's sink was asked to %q, want delete", a)
		}
	}
	if !log.schema.Equal(schema) {
		t.Errorf("the plugin's sink got keys of schema %s, want %s", log.schema, schema)
	}
}
