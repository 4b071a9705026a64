package plugintest_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sluicedata/sluice/sdk"
	"github.com/sluicedata/sluice/sdk/plugintest"
)

func init() {
	scenario("sink", sinkSuite, "drops-row", "appends", "idempotent-per-instance", "modifies-input", "row-out-of-bounds", "rejects-wrong-rows", "claim-varies", "keys-vary", "good")
}

// The suite fails sinks whose destination does not hold what was written,
// that claim to be idempotent and are not, or not from one instance to the
// next, that modify their input, or
// whose row errors name rows out of the batch or other rows than the bad
// ones.
func TestSuiteCatchesBrokenSinks(t *testing.T) {
	runScenario(t, "sink/good").passes(t)
	for _, tc := range []struct {
		mode, want string
		cases      []string
	}{
		{"drops-row", `after writing the input once, read back 15 rows, which differ from the 16 written`, both("Sink/WriteReadBack")},
		// The sink claims sdk.Idempotent; the suite is not told.
		{"appends", `after writing the input twice through one instance, read back 32 rows, which differ from the 16 written`, both("Sink/Idempotent")},
		{"idempotent-per-instance", `after writing it again through a new instance, as a resumed run does, read back 32 rows, which differ from the 16 written`, both("Sink/Idempotent")},
		// Over gRPC the plugin modifies its own copy of the batch, which
		// the engine never sees again.
		{"modifies-input", `Write modified batch 0`, []string{"in-process/Sink/WriteReadBack"}},
		{"row-out-of-bounds", `a row error names row 11 of a batch of 7 rows`, both("Sink/WriteReadBack")},
		{"rejects-wrong-rows", `rejected rows \[2 4\], want \[1 3\]`, both("Sink/PartialFailure")},
		// One instance claims sdk.Idempotent, the next does not: the
		// engine cannot rely on the claim of the instance it runs.
		{"claim-varies", `after New, (a second instance in process|the engine over gRPC) sees claims .*a claim must be a fact of the configuration`, both("Lifecycle/Claims")},
		// One instance syncs by id, the next by name: the engine checks
		// the sync block against one instance and runs another.
		{"keys-vary", `after Open, (a second instance in process|the engine over gRPC) sees claims .*KeyColumns.*a claim must be a fact of the configuration and of what Open found`, both("Lifecycle/Claims")},
	} {
		t.Run(tc.mode, func(t *testing.T) { runScenario(t, "sink/"+tc.mode).fails(t, tc.want, tc.cases...) })
	}
}

func sinkSuite(t *testing.T, mode string) {
	dest := &destination{}
	plugintest.Sink(t, plugintest.SinkSuite{
		Common: plugintest.Common{
			Plugin: sdk.SinkPlugin(sdk.Info{Name: "store"}, func(c brokenConfig) (sdk.Sink, error) {
				return &store{mode: c.Mode, dest: dest, instance: instances.Add(1)}, nil
			}),
			Config: `mode = "` + mode + `"`,
		},
		Input:    plugintest.SampleBatches,
		ReadBack: dest.readBack,
		Reset:    dest.reset,
		BadInput: func(mem memory.Allocator) (arrow.RecordBatch, []int) {
			b := array.NewRecordBuilder(mem, plugintest.SampleSchema)
			defer b.Release()
			for i := range 5 {
				b.Field(0).(*array.Int64Builder).Append(int64(100 + i))
				if i%2 == 1 {
					b.Field(1).AppendNull()
				} else {
					b.Field(1).(*array.StringBuilder).Append("fine")
				}
				b.Field(2).(*array.Float64Builder).Append(1)
				b.Field(3).(*array.BooleanBuilder).Append(true)
			}
			return b.NewRecordBatch(), []int{1, 3}
		},
	})
}

// instances numbers the store instances.
var instances atomic.Int64

// store upserts rows by id into a destination, and rejects the rows
// without a name. It claims to be idempotent, and syncs by id. Each mode
// but "good" breaks one rule.
type store struct {
	mode     string
	dest     *destination
	instance int64
}

func (s *store) Open(context.Context, sdk.Host, *arrow.Schema) error { return nil }

func (s *store) Idempotent() bool { return s.mode != "claim-varies" || s.instance%2 == 0 }

func (s *store) KeyColumns() []string {
	if s.mode == "keys-vary" && s.instance%2 == 1 {
		return []string{"name"}
	}
	return []string{"id"}
}

// Leave deletes the rows of keys.
func (s *store) Leave(_ context.Context, keys arrow.RecordBatch, _ sdk.LeaveAction) (sdk.WriteResult, error) {
	ids := keys.Column(0).(*array.Int64)
	for i := range ids.Len() {
		s.dest.remove(fmt.Sprint(ids.Value(i)))
	}
	return sdk.WriteResult{Deleted: ids.Len()}, nil
}

func (s *store) Write(_ context.Context, rec arrow.RecordBatch) (sdk.WriteResult, error) {
	var res sdk.WriteResult
	n := int(rec.NumRows())
	ids, names := rec.Column(0).(*array.Int64), rec.Column(1)
	rows := plugintest.Rows(rec)
	for i := range n {
		if names.IsNull(i) {
			row := i
			switch s.mode {
			case "row-out-of-bounds":
				row += n
			case "rejects-wrong-rows":
				row = (i + 1) % n
			}
			res.Rejects = append(res.Rejects, sdk.RowError{Row: row, Code: "no_name", Message: "the row has no name"})
		}
	}
	for i := range n {
		if slices.ContainsFunc(res.Rejects, func(r sdk.RowError) bool { return r.Row == i }) {
			continue
		}
		if s.mode == "drops-row" && i == n-1 {
			continue
		}
		key := fmt.Sprint(ids.Value(i))
		switch s.mode {
		case "appends":
			key = fmt.Sprint(instances.Add(1)) // a new row every time
		case "idempotent-per-instance":
			key = fmt.Sprint(s.instance, "/", key)
		}
		s.dest.put(key, rows[i])
	}
	if s.mode == "modifies-input" && n > 0 {
		ids.Int64Values()[0] = -1
	}
	return res, nil
}

func (s *store) Close(context.Context) error { return nil }

// destination holds rows by key, in the order first written.
type destination struct {
	mu   sync.Mutex
	keys []string
	rows map[string]string
}

func (d *destination) put(key, row string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.rows == nil {
		d.rows = map[string]string{}
	}
	if _, ok := d.rows[key]; !ok {
		d.keys = append(d.keys, key)
	}
	d.rows[key] = row
}

func (d *destination) remove(key string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.rows[key]; ok {
		delete(d.rows, key)
		d.keys = slices.DeleteFunc(d.keys, func(k string) bool { return k == key })
	}
}

// readBack returns the rows as one batch of one column, the rows as
// plugintest.Rows renders them, which it renders unchanged.
func (d *destination) readBack(context.Context) ([]arrow.RecordBatch, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	b := array.NewStringBuilder(memory.NewGoAllocator())
	defer b.Release()
	for _, k := range d.keys {
		b.Append(d.rows[k])
	}
	col := b.NewArray()
	defer col.Release()
	schema := arrow.NewSchema([]arrow.Field{{Name: "row", Type: arrow.BinaryTypes.String}}, nil)
	return []arrow.RecordBatch{array.NewRecordBatch(schema, []arrow.Array{col}, int64(col.Len()))}, nil
}

func (d *destination) reset(context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.keys, d.rows = nil, nil
	return nil
}
