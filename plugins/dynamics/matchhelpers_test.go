package dynamics_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sluicedata/sluice/plugins/dynamics"
	"github.com/sluicedata/sluice/plugins/dynamics/emulator"
	"github.com/sluicedata/sluice/plugins/dynamics/emulator/emulatortest"
	"github.com/sluicedata/sluice/plugins/internal/testhost"
	"github.com/sluicedata/sluice/sdk"
)

// matchEnv is an emulator with records known by name, for the tests of the
// match block's options.
type matchEnv struct {
	t    *testing.T
	srv  *emulator.Server
	host *testhost.Host
	ids  map[string]string
}

func newMatchEnv(t *testing.T, opts ...emulatortest.Option) *matchEnv {
	t.Helper()
	opts = append([]emulatortest.Option{emulatortest.WithTablesFile(filepath.Join(fixtureDir, "tables.hcl"))}, opts...)
	return &matchEnv{t: t, srv: startEmulator(t, opts...), host: testhost.New(t), ids: map[string]string{}}
}

// insert inserts a record under a name; "@name" values bind lookups to
// accounts inserted before.
func (e *matchEnv) insert(table, name string, rec map[string]any) string {
	e.t.Helper()
	for k, v := range rec {
		if s, ok := v.(string); ok && len(s) > 1 && s[0] == '@' {
			rec[k] = "/accounts(" + e.ids[s[1:]] + ")"
		}
	}
	ids, err := e.srv.Insert(context.Background(), table, rec)
	if err != nil {
		e.t.Fatalf("insert %s: %v", name, err)
	}
	e.ids[name] = ids[0]
	return ids[0]
}

// sink opens a sink writing to the emulator with body.
func (e *matchEnv) sink(schema *arrow.Schema, body string) *dynamics.Sink {
	e.t.Helper()
	return open(e.t, e.host, schema, connection(e.srv)+body)
}

// plan plans rows with a new sink, and returns the plans by row.
func (e *matchEnv) plan(schema *arrow.Schema, body string, rows ...[]any) []sdk.RowPlan {
	e.t.Helper()
	s := e.sink(schema, body)
	rec := record(e.host.Mem, schema, rows...)
	defer rec.Release()
	plans, err := s.Plan(context.Background(), rec)
	if err != nil {
		e.t.Fatalf("plan: %v", err)
	}
	slices.SortFunc(plans, func(a, b sdk.RowPlan) int { return a.Row - b.Row })
	return plans
}

// write writes rows with s.
func (e *matchEnv) write(s *dynamics.Sink, schema *arrow.Schema, rows ...[]any) sdk.WriteResult {
	e.t.Helper()
	return write(e.t, s, record(e.host.Mem, schema, rows...))
}

// record returns a stored record by name.
func (e *matchEnv) record(table, name string) map[string]any {
	e.t.Helper()
	r, ok, err := e.srv.Record(table, e.ids[name])
	if err != nil || !ok {
		e.t.Fatalf("%s %s: %v (found %v)", table, name, err, ok)
	}
	return r
}

// count returns a table's number of records.
func (e *matchEnv) count(table string) int {
	e.t.Helper()
	n, err := e.srv.Count(table)
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

// writesSent counts the write requests in the emulator's log (requests
// inside a $batch included, the $batch itself not).
func (e *matchEnv) writesSent() int {
	n := 0
	for _, l := range e.srv.RequestLog() {
		if l.Write && l.Operation != "batch" {
			n++
		}
	}
	return n
}

// expectAction checks a row plan's action and record.
func (e *matchEnv) expectAction(p sdk.RowPlan, action sdk.PlanAction, record string) {
	e.t.Helper()
	if p.Action != action {
		e.t.Errorf("row %d: %s (%s %s), want %s", p.Row, p.Action, p.Code, p.Reason, action)
		return
	}
	if record != "" && p.Record != e.ids[record] {
		e.t.Errorf("row %d: %s %s, want %s (%s)", p.Row, action, e.name(p.Record), record, e.ids[record])
	}
}

// name is the name of a record id, for messages.
func (e *matchEnv) name(id string) string {
	for n, x := range e.ids {
		if x == id {
			return n
		}
	}
	return fmt.Sprintf("%q", id)
}

// people is the input schema of most match tests.
var people = schemaOf(col{"ext", text}, col{"email", text}, col{"first", text}, col{"last", text}, col{"company", text}, col{"title", text}, col{"phone", text}, col{"rank", whole})

// person is a row of people.
func person(ext, email, first, last, company, title, phone string, rank int) []any {
	row := []any{ext, email, first, last, company, title, phone, rank}
	for i, v := range row[:7] {
		if v == "" {
			row[i] = nil
		}
	}
	return row
}
