package engine_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sluicedata/sluice/engine"
	"github.com/sluicedata/sluice/plugins/csv"
	"github.com/sluicedata/sluice/sdk"
)

type plannerConfig struct {
	Secret string `sluice:"secret,sensitive"`
}

// plannerSink plans rows by their id — even ids are created, odd ones
// rejected, ids from 1000 written (it cannot say more) — and must never be
// written to. It plans a batch whose first id
// is odd slowly, so that a later batch can overtake it.
type plannerSink struct {
	cfg    plannerConfig
	writes *atomic.Int64
	tested *atomic.Int64
}

func (s *plannerSink) Open(context.Context, sdk.Host, *arrow.Schema) error { return nil }

func (s *plannerSink) Write(_ context.Context, rec arrow.RecordBatch) (sdk.WriteResult, error) {
	s.writes.Add(rec.NumRows())
	return sdk.WriteResult{}, nil
}

func (s *plannerSink) Close(context.Context) error { return nil }

func (s *plannerSink) Plan(_ context.Context, rec arrow.RecordBatch) ([]sdk.RowPlan, error) {
	ids := rec.Column(0).(*array.Int64)
	if ids.Len() > 0 && ids.Value(0)%2 == 1 {
		time.Sleep(30 * time.Millisecond)
	}
	out := make([]sdk.RowPlan, rec.NumRows())
	for i := range out {
		id := ids.Value(i)
		out[i] = sdk.RowPlan{Row: i, Action: sdk.PlanCreate, Label: fmt.Sprintf("id %d (%s)", id, s.cfg.Secret),
			Changes: []sdk.FieldChange{{Field: "secret", After: s.cfg.Secret}}}
		if id%2 == 1 {
			out[i] = sdk.RowPlan{Row: i, Action: sdk.PlanReject, Code: "test.odd", Reason: "odd id"}
		}
		if id >= 1000 {
			out[i] = sdk.RowPlan{Row: i, Action: sdk.PlanWrite}
		}
	}
	return out, nil
}

func (s *plannerSink) TestMapping(_ context.Context, row arrow.RecordBatch) (sdk.MappingTest, error) {
	s.tested.Add(row.NumRows())
	id := row.Column(0).(*array.Int64).Value(0)
	return sdk.MappingTest{Table: "t", Record: fmt.Sprint(id), Removed: true, Cleanup: "deleted",
		Fields: []sdk.FieldRoundTrip{{Field: "id", Sent: id, Stored: id, OK: true, Note: s.cfg.Secret}}}, nil
}

func plannerPlugin(writes, tested *atomic.Int64) sdk.Plugin {
	return sdk.SinkPlugin(sdk.Info{Name: "planned", Version: "1.0.0", Summary: "test", Writes: sdk.WritePolicy{Rows: 3, InFlight: 2}},
		func(c plannerConfig) (sdk.Sink, error) {
			return &plannerSink{cfg: c, writes: writes, tested: tested}, nil
		})
}

const planPipeline = `
variable "secret" {
  default   = "s3cr3t-value"
  sensitive = true
}
source "memory" "in" { table = "in" }
sink "planned" "crm" {
  input   = source.in
  secret  = var.secret
  rejects = sink.rejects
}
sink "memory" "copy" {
  input = source.in
  table = "copy"
}
sink "csv" "file" {
  input = source.in
  path  = "OUT"
}
sink "memory" "rejects" { table = "rejects" }
`

// TestPlanWritesNothing: a plan asks the planner sink about every row,
// numbered across batches, writes to no sink — a file sink is aborted, so
// no file appears — redacts secrets, and accounts for the rows as a run
// would.
func TestPlanWritesNothing(t *testing.T) {
	var writes, tested atomic.Int64
	h := newHarness(t, plannerPlugin(&writes, &tested), csv.Sink)
	var rows []customer
	for i := range 10 {
		rows = append(rows, customer{id: int64(i), active: true})
	}
	h.put("in", customers(h.mem, rows, 4, 6))
	out := filepath.Join(t.TempDir(), "out.csv")
	p, err := h.eng.Parse(map[string][]byte{"p.hcl": []byte(strings.Replace(planPipeline, "OUT", out, 1))}, engine.Inputs{LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var planned []engine.PlannedRow
	sum, err := p.Plan(context.Background(), engine.PlanOptions{Row: func(r engine.PlannedRow) {
		mu.Lock()
		planned = append(planned, r)
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	if writes.Load() != 0 {
		t.Errorf("the planner sink was written %d rows", writes.Load())
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("the csv sink wrote its file: %v", err)
	}
	if _, batches, _ := h.store.Batches("copy"); len(batches) > 0 {
		t.Errorf("the memory sink was written %d batches", len(batches))
		for _, b := range batches {
			b.Release()
		}
	}
	want := map[string]map[sdk.PlanAction]int{
		"sink.crm":     {sdk.PlanCreate: 5, sdk.PlanReject: 5},
		"sink.copy":    {sdk.PlanWrite: 10},
		"sink.file":    {sdk.PlanWrite: 10},
		"sink.rejects": {sdk.PlanWrite: 5},
	}
	if fmt.Sprint(sum.Totals) != fmt.Sprint(want) {
		t.Errorf("totals %v, want %v", sum.Totals, want)
	}
	var crm []engine.PlannedRow
	for _, r := range planned {
		if r.Sink == "sink.crm" {
			crm = append(crm, r)
		}
		if strings.Contains(fmt.Sprint(r.Plan), "s3cr3t") {
			t.Errorf("a planned row shows the secret: %+v", r.Plan)
		}
	}
	slices.SortFunc(crm, func(a, b engine.PlannedRow) int { return int(a.Row - b.Row) })
	for i, r := range crm {
		if r.Row != int64(i) || !strings.HasPrefix(r.Plan.Label+r.Plan.Reason, fmt.Sprintf("id %d", i)) && r.Plan.Action == sdk.PlanCreate {
			t.Errorf("row %d: %+v", i, r)
		}
	}
	if n := mustNode(t, sum.Stats, "sink.crm"); n.Created != 5 || n.Rejected != 5 {
		t.Errorf("sink.crm: %+v", n)
	}
}

// TestMappingTestTakesTheFirstRowThatWouldCreate: test-mapping gives a sink
// that plans one row: the first its plan would create a record from — not
// the first row, which would be rejected, nor a row of a batch that
// overtook the batch holding it — and writes nothing anywhere. When no row
// would create a record, the error says what the plan would do instead.
func TestMappingTestTakesTheFirstRowThatWouldCreate(t *testing.T) {
	var writes, tested atomic.Int64
	h := newHarness(t, plannerPlugin(&writes, &tested), csv.Sink)
	// Ten odd ids, then even ones; the sink takes batches of 3, two at a
	// time: the fourth batch (rows 9 to 11) holds the first create, and is
	// planned slowly.
	var rows []customer
	for i := range 100 {
		id := int64(2*i + 100)
		if i < 10 {
			id = int64(2*i + 7)
		}
		rows = append(rows, customer{id: id, active: true})
	}
	h.put("in", customers(h.mem, rows, 50, 50))
	out := filepath.Join(t.TempDir(), "out.csv")
	p, err := h.eng.Parse(map[string][]byte{"p.hcl": []byte(strings.Replace(planPipeline, "OUT", out, 1))}, engine.Inputs{LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := p.TestMapping(context.Background(), engine.TestMappingOptions{Sink: "crm"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Sink != "sink.crm" || rep.Record != "120" || rep.Row != 10 || !rep.Removed || tested.Load() != 1 {
		t.Errorf("report %+v, %d rows tested; want row 10 (id 120)", rep, tested.Load())
	}
	if fmt.Sprint(rep.Passed) != "map[reject:10]" {
		t.Errorf("rows passed over: %v, want the 10 rejected", rep.Passed)
	}
	if strings.Contains(fmt.Sprint(rep), "s3cr3t") {
		t.Errorf("the report shows the secret: %+v", rep)
	}
	if writes.Load() != 0 {
		t.Errorf("%d rows written", writes.Load())
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("the csv sink wrote its file: %v", err)
	}
	if _, err := p.TestMapping(context.Background(), engine.TestMappingOptions{Sink: "copy"}); err == nil || !strings.Contains(err.Error(), "sink.crm") {
		t.Errorf("testing a sink that cannot: %v", err)
	}

	// Odd ids only: nothing to test.
	h.put("in", customers(h.mem, rows[:10], 10))
	tested.Store(0)
	_, err = p.TestMapping(context.Background(), engine.TestMappingOptions{Sink: "crm"})
	if err == nil || !strings.Contains(err.Error(), "sink.crm: no row would create a record: of the 10 rows that reached it, the plan says 10 reject") {
		t.Errorf("no row that would create: %v", err)
	}
	if tested.Load() != 0 || writes.Load() != 0 {
		t.Errorf("%d rows tested, %d written", tested.Load(), writes.Load())
	}

	// A row the plan cannot say more about (write) may create: it is tested.
	h.put("in", customers(h.mem, append(rows[:10:10], customer{id: 1001, active: true}), 11))
	rep, err = p.TestMapping(context.Background(), engine.TestMappingOptions{Sink: "crm"})
	if err != nil || rep.Record != "1001" || rep.Row != 10 {
		t.Errorf("a row planned write: %+v, %v; want row 10 (id 1001) tested", rep, err)
	}
}
