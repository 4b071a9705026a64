package emulatortest

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/sluicedata/sluice/plugins/dynamics/emulator"
	"github.com/sluicedata/sluice/sdk"
)

// Fixture is a matching fixture (see testdata/matching/expected.csv): an
// emulator started with a directory's tables.hcl and seeded with its
// crm.json, and the expected outcome of running its input.csv — the plan
// row by row (expected.csv) and the CRM after (final.json).
type Fixture struct {
	Dir string
	Srv *emulator.Server
	// IDs are the seeded records' ids by ref.
	IDs map[string]string
}

// ExpectedRow is one line of expected.csv.
type ExpectedRow struct {
	// Row is 1-based, as in input.csv.
	Row                   int
	Action, Table, Record string
	// Changes are field → value; @ref is a seeded record's id, +account:Name
	// an account the run creates.
	Changes map[string]string
	Reason  string
}

// StartFixture starts an emulator for the fixture in dir.
func StartFixture(t testing.TB, dir string, opts ...Option) *Fixture {
	t.Helper()
	srv := Start(t, append([]Option{WithTablesFile(filepath.Join(dir, "tables.hcl"))}, opts...)...)
	ids, err := srv.SeedFile(context.Background(), filepath.Join(dir, "crm.json"))
	if err != nil {
		t.Fatal(err)
	}
	return &Fixture{Dir: dir, Srv: srv, IDs: ids}
}

// Input reads input.csv as text rows, an empty field as nil.
func (f *Fixture) Input(t testing.TB) [][]any {
	t.Helper()
	lines := readCSV(t, filepath.Join(f.Dir, "input.csv"), false)
	return textRows(lines)
}

func textRows(lines [][]string) [][]any {
	var rows [][]any
	for _, l := range lines[1:] {
		row := make([]any, len(l))
		for i, v := range l {
			if v != "" {
				row[i] = v
			}
		}
		rows = append(rows, row)
	}
	return rows
}

// Expected reads expected.csv.
func (f *Fixture) Expected(t testing.TB) []ExpectedRow {
	t.Helper()
	return f.expected(t, "expected.csv")
}

func (f *Fixture) expected(t testing.TB, name string) []ExpectedRow {
	t.Helper()
	lines := readCSV(t, filepath.Join(f.Dir, name), true)
	var out []ExpectedRow
	for _, l := range lines[1:] {
		e := ExpectedRow{Action: l[1], Table: l[2], Record: l[3], Reason: l[5], Changes: map[string]string{}}
		fmt.Sscan(l[0], &e.Row)
		for _, c := range strings.Split(l[4], ";") {
			if k, v, ok := strings.Cut(c, "="); ok {
				e.Changes[k] = v
			}
		}
		out = append(out, e)
	}
	return out
}

func readCSV(t testing.TB, path string, comments bool) [][]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	if comments {
		var body []string
		for _, l := range strings.Split(text, "\n") {
			if !strings.HasPrefix(l, "#") {
				body = append(body, l)
			}
		}
		text = strings.Join(body, "\n")
	}
	lines, err := csv.NewReader(strings.NewReader(text)).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return lines
}

// Resolve turns an expected value into what the CRM holds: @ref into the
// seeded record's id, +account:Name into the id of the one account of that
// name.
func (f *Fixture) Resolve(t testing.TB, v string) string {
	t.Helper()
	switch {
	case strings.HasPrefix(v, "@"):
		return f.IDs[v[1:]]
	case strings.HasPrefix(v, "+account:"):
		name := strings.TrimPrefix(v, "+account:")
		recs, err := f.Srv.Records("account")
		if err != nil {
			t.Fatal(err)
		}
		var found []string
		for _, r := range recs {
			if r["name"] == name {
				found = append(found, fmt.Sprint(r["accountid"]))
			}
		}
		if len(found) != 1 {
			t.Errorf("%d accounts are called %q, want 1", len(found), name)
			return "?"
		}
		return found[0]
	}
	return v
}

// CheckPlan compares a plan, one RowPlan per input row in input order, with
// expected.csv.
func (f *Fixture) CheckPlan(t testing.TB, plans []sdk.RowPlan) {
	t.Helper()
	f.CheckPlanFile(t, "expected.csv", plans)
}

// CheckPlanFile compares a plan with another file of the fixture written as
// expected.csv is.
func (f *Fixture) CheckPlanFile(t testing.TB, name string, plans []sdk.RowPlan) {
	t.Helper()
	want := f.expected(t, name)
	if len(plans) != len(want) {
		t.Fatalf("%d rows planned, expected.csv has %d", len(plans), len(want))
	}
	for i, p := range plans {
		f.checkRow(t, want[i], p)
	}
}

func (f *Fixture) checkRow(t testing.TB, e ExpectedRow, p sdk.RowPlan) {
	t.Helper()
	where := fmt.Sprintf("row %d (%s)", e.Row, p.Label)
	if string(p.Action) != e.Action {
		t.Errorf("%s: action %s, want %s (%s %s)", where, p.Action, e.Action, p.Code, p.Reason)
		return
	}
	if e.Table != "" && p.Table != e.Table {
		t.Errorf("%s: table %s, want %s", where, p.Table, e.Table)
	}
	switch e.Record {
	case "new":
		if p.Record != "" {
			t.Errorf("%s: creates record %s, want a new one", where, p.Record)
		}
	case "":
	default:
		if p.Record != f.IDs[e.Record] {
			t.Errorf("%s: record %s, want %s (%s)", where, p.Record, f.IDs[e.Record], e.Record)
		}
	}
	if e.Reason != "" && !strings.Contains(p.Reason, e.Reason) {
		t.Errorf("%s: reason %q does not say %q", where, p.Reason, e.Reason)
	}
	got := map[string]string{}
	for _, c := range p.Changes {
		got[c.Field] = fmt.Sprint(c.After)
	}
	for field, v := range e.Changes {
		if name, ok := strings.CutPrefix(v, "+account:"); ok {
			if !strings.Contains(got[field], "new account") || !strings.Contains(got[field], "'"+name+"'") {
				t.Errorf("%s: %s = %q, want the new account %s", where, field, got[field], name)
			}
			continue
		}
		if w := f.Resolve(t, v); got[field] != w {
			t.Errorf("%s: %s = %q, want %q", where, field, got[field], w)
		}
	}
	for field := range got {
		if _, ok := e.Changes[field]; !ok {
			t.Errorf("%s: changes %s (to %q), which expected.csv does not", where, field, got[field])
		}
	}
}

// CheckFinal compares the CRM with final.json.
func (f *Fixture) CheckFinal(t testing.TB) {
	t.Helper()
	f.CheckFinalFile(t, "final.json")
}

// CheckFinalFile compares the CRM with another file of the fixture written
// as final.json is.
func (f *Fixture) CheckFinalFile(t testing.TB, name string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(f.Dir, name))
	if err != nil {
		t.Fatal(err)
	}
	var final map[string]json.RawMessage
	if err := json.Unmarshal(data, &final); err != nil {
		t.Fatal(err)
	}
	var counts map[string]int
	if err := json.Unmarshal(final["counts"], &counts); err != nil {
		t.Fatal(err)
	}
	for table, n := range counts {
		if got, _ := f.Srv.Count(table); got != n {
			t.Errorf("%s: %d records, want %d", table, got, n)
		}
	}
	tables := make([]string, 0, len(final))
	for table := range final {
		if table != "counts" && !strings.HasPrefix(table, "_") {
			tables = append(tables, table)
		}
	}
	sort.Strings(tables)
	for _, table := range tables {
		var want map[string]map[string]any
		if err := json.Unmarshal(final[table], &want); err != nil {
			t.Fatalf("final.json %s: %v", table, err)
		}
		f.checkTable(t, table, want)
	}
}

func (f *Fixture) checkTable(t testing.TB, table string, want map[string]map[string]any) {
	t.Helper()
	recs, err := f.Srv.Records(table)
	if err != nil {
		t.Fatal(err)
	}
	byID, byEmail := map[string]map[string]any{}, map[string]map[string]any{}
	for _, r := range recs {
		byID[fmt.Sprint(r[table+"id"])] = r
		if e, ok := r["emailaddress1"].(string); ok {
			byEmail[e] = r
		}
	}
	names := make([]string, 0, len(want))
	for name := range want {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		r := byID[f.IDs[name]]
		if email, ok := strings.CutPrefix(name, "new:"); ok {
			r = byEmail[email]
		}
		if r == nil {
			t.Errorf("%s %s: no such record", table, name)
			continue
		}
		for field, v := range want[name] {
			got := r[field]
			if v == nil {
				if got != nil && got != "" {
					t.Errorf("%s %s: %s = %v, want it empty", table, name, field, got)
				}
				continue
			}
			if w := f.Resolve(t, fmt.Sprint(v)); fmt.Sprint(got) != w {
				t.Errorf("%s %s: %s = %v, want %s", table, name, field, got, w)
			}
		}
	}
}
