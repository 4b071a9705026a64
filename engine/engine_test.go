package engine_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sluicedata/sluice/engine"
	"github.com/sluicedata/sluice/plugins/dedupe"
	"github.com/sluicedata/sluice/plugins/filter"
	"github.com/sluicedata/sluice/plugins/mapper"
	memplugin "github.com/sluicedata/sluice/plugins/memory"
	"github.com/sluicedata/sluice/plugins/selectcols"
	"github.com/sluicedata/sluice/sdk"
)

var customerSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "email", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "ltv", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "active", Type: arrow.FixedWidthTypes.Boolean},
}, nil)

type customer struct {
	id     int64
	email  *string
	ltv    *float64
	active bool
}

func str(s string) *string   { return &s }
func num(f float64) *float64 { return &f }

// customers builds batches of the given sizes from rows.
func customers(mem memory.Allocator, rows []customer, sizes ...int) []arrow.RecordBatch {
	var out []arrow.RecordBatch
	b := array.NewRecordBuilder(mem, customerSchema)
	defer b.Release()
	i := 0
	for _, size := range sizes {
		for range size {
			r := rows[i]
			i++
			b.Field(0).(*array.Int64Builder).Append(r.id)
			if r.email == nil {
				b.Field(1).AppendNull()
			} else {
				b.Field(1).(*array.StringBuilder).Append(*r.email)
			}
			if r.ltv == nil {
				b.Field(2).AppendNull()
			} else {
				b.Field(2).(*array.Float64Builder).Append(*r.ltv)
			}
			b.Field(3).(*array.BooleanBuilder).Append(r.active)
		}
		out = append(out, b.NewRecordBatch())
	}
	return out
}

// harness runs pipelines over a memory store with a checked allocator, and
// checks at the end of the test that every byte was released.
type harness struct {
	t     *testing.T
	mem   *memory.CheckedAllocator
	store *memplugin.Store
	eng   *engine.Engine
	extra []sdk.Plugin
}

func newHarness(t *testing.T, extra ...sdk.Plugin) *harness {
	t.Helper()
	h := &harness{t: t, mem: memory.NewCheckedAllocator(memory.NewGoAllocator()), store: memplugin.NewStore()}
	plugins := append(h.store.Plugins(), filter.Transform, mapper.Transform, dedupe.Transform, selectcols.Transform)
	eng, err := engine.New(engine.WithPlugins(append(plugins, extra...)...), engine.WithAllocator(h.mem))
	if err != nil {
		t.Fatal(err)
	}
	h.eng = eng
	t.Cleanup(func() {
		h.store.Clear()
		h.mem.AssertSize(t, 0)
	})
	return h
}

func (h *harness) put(name string, batches []arrow.RecordBatch) {
	h.store.Put(name, batches[0].Schema(), batches...)
	for _, b := range batches {
		b.Release()
	}
}

func (h *harness) run(src string) (engine.Stats, error) {
	h.t.Helper()
	p, err := h.eng.Parse(map[string][]byte{"pipeline.hcl": []byte(src)}, engine.Inputs{LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		return engine.Stats{}, err
	}
	return p.Run(context.Background(), engine.RunOptions{})
}

// rows returns a memory table's rows as strings, one per row, columns
// separated by "|".
func (h *harness) rows(table string) []string {
	h.t.Helper()
	_, batches, ok := h.store.Batches(table)
	if !ok {
		h.t.Fatalf("no table %q", table)
	}
	var out []string
	for _, b := range batches {
		for i := range int(b.NumRows()) {
			var cols []string
			for _, c := range b.Columns() {
				cols = append(cols, c.ValueStr(i))
			}
			out = append(out, strings.Join(cols, "|"))
		}
		b.Release()
	}
	return out
}

func mustNode(t *testing.T, s engine.Stats, addr string) engine.NodeStats {
	t.Helper()
	n, ok := s.Node(addr)
	if !ok {
		t.Fatalf("no stats for %s", addr)
	}
	if !n.Balanced() {
		t.Errorf("%s is not balanced: %+v", addr, n)
	}
	return n
}

func TestFilterMapIntoSink(t *testing.T) {
	h := newHarness(t)
	var rows []customer
	for i := range 1000 {
		rows = append(rows, customer{id: int64(i), email: str(fmt.Sprintf(" User%d@X.com ", i)), ltv: num(float64(i)), active: i%2 == 0})
	}
	h.put("in", customers(h.mem, rows, 300, 300, 400))
	stats, err := h.run(`
source "memory" "in" { table = "in" }
transform "filter" "active" {
  input = source.in
  where = "active && ltv >= 500"
}
transform "map" "norm" {
  input = transform.active
  columns = {
    email = "lower(trim(email))"
    tier  = "ltv > 900 ? 'gold' : 'std'"
  }
  drop = ["active"]
}
sink "memory" "out" {
  input = transform.norm
  table = "out"
  batch { rows = 64 }
}
`)
	if err != nil {
		t.Fatal(err)
	}
	if stats.Status != engine.StatusSucceeded {
		t.Fatalf("status %s", stats.Status)
	}
	got := h.rows("out")
	if len(got) != 250 {
		t.Fatalf("got %d rows, want 250", len(got))
	}
	if got[0] != "500|user500@x.com|500|std" || got[249] != "998|user998@x.com|998|gold" {
		t.Errorf("unexpected rows: first %q, last %q", got[0], got[249])
	}
	f := mustNode(t, stats, "transform.active")
	if f.In != 1000 || f.Out != 250 || f.Filtered != 750 {
		t.Errorf("filter stats %+v", f)
	}
	s := mustNode(t, stats, "sink.out")
	if s.In != 250 || s.Out != 250 || s.Batches < 1 {
		t.Errorf("sink stats %+v", s)
	}
	_, batches, _ := h.store.Batches("out")
	for _, b := range batches {
		if b.NumRows() > 64 {
			t.Errorf("sink received a batch of %d rows, above its batch size 64", b.NumRows())
		}
		b.Release()
	}
}

func TestRejectsGoToRejectsSinkWithReasons(t *testing.T) {
	h := newHarness(t)
	rows := []customer{
		{id: 1, email: str("a@x"), ltv: num(1), active: true},
		{id: 2, email: nil, ltv: num(2), active: true},
		{id: 3, email: str("c@x"), ltv: nil, active: true},
		{id: 4, email: str("d@x"), ltv: num(4), active: false},
	}
	h.put("in", customers(h.mem, rows, 4))
	stats, err := h.run(`
source "memory" "in" { table = "in" }
transform "map" "norm" {
  input   = source.in
  columns = { email = "upper(email)" }
  rejects = sink.rejects
}
transform "filter" "big" {
  input   = transform.norm
  where   = "ltv > 1"
  rejects = sink.rejects
}
sink "memory" "out" {
  input = transform.big
  table = "out"
}
sink "memory" "rejects" { table = "rejects" }
`)
	if err != nil {
		t.Fatal(err)
	}
	if got := h.rows("out"); len(got) != 1 || got[0] != "4|D@X|4|false" {
		t.Errorf("out = %q", got)
	}
	rej := h.rows("rejects")
	if len(rej) != 2 {
		t.Fatalf("rejects = %q", rej)
	}
	if !strings.HasPrefix(rej[0], "2|(null)|2|true|transform.norm|expr.eval|columns.email = \"upper(email)\"") {
		t.Errorf("first reject = %q", rej[0])
	}
	if !strings.HasPrefix(rej[1], "3|C@X|(null)|true|transform.big|expr.eval|") {
		t.Errorf("second reject = %q", rej[1])
	}
	m := mustNode(t, stats, "transform.norm")
	if m.In != 4 || m.Out != 3 || m.Rejected != 1 {
		t.Errorf("map stats %+v", m)
	}
	f := mustNode(t, stats, "transform.big")
	if f.In != 3 || f.Out != 1 || f.Filtered != 1 || f.Rejected != 1 {
		t.Errorf("filter stats %+v", f)
	}
	if r := mustNode(t, stats, "sink.rejects"); r.In != 2 || r.Out != 2 {
		t.Errorf("rejects sink stats %+v", r)
	}
}

func TestRejectWithoutRejectsSinkStopsTheRun(t *testing.T) {
	h := newHarness(t)
	h.put("in", customers(h.mem, []customer{{id: 1, email: nil, active: true}}, 1))
	stats, err := h.run(`
source "memory" "in" { table = "in" }
transform "map" "norm" {
  input   = source.in
  columns = { email = "upper(email)" }
}
sink "memory" "out" {
  input = transform.norm
  table = "out"
}
`)
	if err == nil || stats.Status != engine.StatusFailed {
		t.Fatalf("expected a failed run, got %v, %v", stats.Status, err)
	}
	if !strings.Contains(err.Error(), "transform.norm rejected a row") || !strings.Contains(err.Error(), "rejects = sink.") {
		t.Errorf("error does not explain the reject and the fix: %v", err)
	}
}

func TestMaxRejectsToleratesThenStops(t *testing.T) {
	h := newHarness(t)
	var rows []customer
	for i := range 10 {
		rows = append(rows, customer{id: int64(i), email: nil, active: true})
	}
	h.put("in", customers(h.mem, rows, 10))
	src := `
source "memory" "in" { table = "in" }
transform "map" "norm" {
  input       = source.in
  columns     = { email = "upper(email)" }
  max_rejects = %d
}
sink "memory" "out" {
  input = transform.norm
  table = "out"
}
`
	if _, err := h.run(fmt.Sprintf(src, 10)); err != nil {
		t.Fatalf("10 rejects with max_rejects = 10: %v", err)
	}
	if _, err := h.run(fmt.Sprintf(src, 9)); err == nil {
		t.Fatal("10 rejects with max_rejects = 9 did not fail")
	}
}

func TestFanOutAccountsForEveryBranch(t *testing.T) {
	h := newHarness(t)
	var rows []customer
	for i := range 100 {
		rows = append(rows, customer{id: int64(i), email: str("e"), ltv: num(float64(i)), active: i%4 == 0})
	}
	h.put("in", customers(h.mem, rows, 30, 70))
	stats, err := h.run(`
source "memory" "in" { table = "in" }
transform "filter" "active" {
  input = source.in
  where = "active"
}
sink "memory" "all" {
  input = source.in
  table = "all"
}
sink "memory" "active" {
  input = transform.active
  table = "active"
}
transform "select" "ids" {
  input   = source.in
  columns = ["id"]
}
sink "memory" "ids" {
  input = transform.ids
  table = "ids"
}
`)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(h.rows("all")); n != 100 {
		t.Errorf("all: %d rows", n)
	}
	if n := len(h.rows("active")); n != 25 {
		t.Errorf("active: %d rows", n)
	}
	if got := h.rows("ids"); len(got) != 100 || got[99] != "99" {
		t.Errorf("ids: %d rows, last %q", len(got), got[len(got)-1])
	}
	for _, n := range stats.Nodes {
		if !n.Balanced() {
			t.Errorf("%s not balanced: %+v", n.Address, n)
		}
	}
	if src := mustNode(t, stats, "source.in"); src.Out != 100 {
		t.Errorf("source out %d", src.Out)
	}
}

func TestDedupeKeepsGreatest(t *testing.T) {
	h := newHarness(t)
	rows := []customer{
		{id: 1, email: str("A@x"), ltv: num(10), active: true},
		{id: 2, email: str("b@x"), ltv: num(5), active: true},
		{id: 3, email: str("a@x "), ltv: num(30), active: true},
		{id: 4, email: str(""), ltv: num(1), active: true},
		{id: 5, email: str(""), ltv: num(2), active: true},
		{id: 6, email: str("b@x"), ltv: num(1), active: true},
		{id: 7, email: str("a@X"), ltv: num(20), active: true},
	}
	h.put("in", customers(h.mem, rows, 3, 4))
	stats, err := h.run(`
source "memory" "in" { table = "in" }
transform "dedupe" "by_email" {
  input = source.in
  key   = "lower(trim(email))"
  keep  = "greatest"
  by    = "ltv"
}
sink "memory" "out" {
  input = transform.by_email
  table = "out"
}
`)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"2|b@x|5|true", "3|a@x |30|true", "4||1|true", "5||2|true"}
	if got := h.rows("out"); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %q, want %q", got, want)
	}
	d := mustNode(t, stats, "transform.by_email")
	if d.In != 7 || d.Out != 4 || d.Deduplicated != 3 {
		t.Errorf("dedupe stats %+v", d)
	}
	if d.MemoryPeak == 0 || d.MemoryHeld != 0 {
		t.Errorf("dedupe held %d bytes at most and %d at the end; want some, then none", d.MemoryPeak, d.MemoryHeld)
	}
}

func TestDiagnosticsPointAtTheMistakes(t *testing.T) {
	h := newHarness(t)
	h.put("in", customers(h.mem, []customer{{id: 1, active: true}}, 1))
	_, err := h.run(`source "memory" "in" { table = "in" }
transform "filter" "f" {
  input = source.inn
}
transform "map" "m" {
  input   = source.in
  columns = { x = "ltv + 'a'" }
}
sink "memory" "out" {
  input = transform.m
  table = "out"
}
`)
	var diags *engine.Diagnostics
	if !errors.As(err, &diags) {
		t.Fatalf("expected diagnostics, got %v", err)
	}
	msg := diags.Error()
	for _, want := range []string{
		`pipeline.hcl:3:11: Reference to undeclared source: There is no source named "inn" in this pipeline. Did you mean "in"?`,
		`pipeline.hcl:2:24: Missing required argument: The argument "where" is required`,
		`pipeline.hcl:7:24: Invalid expression: invalid operation: + (mismatched types float64 and string)`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("missing diagnostic %q in:\n%s", want, msg)
		}
	}
}

func TestSecretsNeverLeaveTheEngine(t *testing.T) {
	h := newHarness(t)
	h.put("in", customers(h.mem, []customer{{id: 1, email: str("a@x"), active: true}}, 1))
	var logs strings.Builder
	eng, err := engine.New(engine.WithPlugins(append(h.store.Plugins(), mapper.Transform)...), engine.WithAllocator(h.mem),
		engine.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	if err != nil {
		t.Fatal(err)
	}
	// The secret reaches an expression, whose failure message quotes it, and
	// a diagnostic, whose rendering shows variable values.
	src := `
variable "token" {
  default   = "tok-very-secret"
  sensitive = true
}
source "memory" "in" { table = "in" }
transform "map" "m" {
  input       = source.in
  columns     = { x = "parseInt('${var.token}')" }
  max_rejects = 5
}
sink "memory" "out" {
  input = transform.m
  table = [var.token]
}
`
	p, err := eng.Parse(map[string][]byte{"p.hcl": []byte(src)}, engine.Inputs{LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	stats, err := p.Run(context.Background(), engine.RunOptions{})
	var out strings.Builder
	var diags *engine.Diagnostics
	if errors.As(err, &diags) {
		diags.Render(&out, 100, false)
	}
	fmt.Fprint(&out, err, stats.Error, logs.String())
	if strings.Contains(out.String(), "tok-very-secret") {
		t.Errorf("the secret leaked:\n%s", out.String())
	}

	// Fix the table, and the run's rejected-row log lines must not show it.
	src = strings.Replace(src, `[var.token]`, `"out"`, 1)
	p, err = eng.Parse(map[string][]byte{"p.hcl": []byte(src)}, engine.Inputs{LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	stats, err = p.Run(context.Background(), engine.RunOptions{})
	if err != nil || mustNode(t, stats, "transform.m").Rejected != 1 {
		t.Fatalf("run: %v, %+v", err, stats)
	}
	if strings.Contains(logs.String(), "tok-very-secret") || !strings.Contains(logs.String(), "row rejected") {
		t.Errorf("logs:\n%s", logs.String())
	}
}
