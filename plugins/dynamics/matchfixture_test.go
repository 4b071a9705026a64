package dynamics_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/sluicedata/sluice/plugins/dynamics/emulator"
	"github.com/sluicedata/sluice/plugins/dynamics/emulator/emulatortest"
	"github.com/sluicedata/sluice/plugins/internal/testhost"
	"github.com/sluicedata/sluice/sdk"
)

// fixtureDir holds the matching fixture: the CRM before, the input, the
// expected plan and the CRM after (see its expected.csv).
var fixtureDir = filepath.Join("..", "..", "testdata", "matching")

// zoomInfoSink is the sink block of pipelines/zoominfo-contacts.hcl, which
// the CLI test runs as a file: the same fixture must hold for both.
const zoomInfoSink = `
table = "contact"
match {
  tables = ["contact", "lead"]
  rule "external_id" {
    equals = { sluice_externalid = "ext_id" }
  }
  rule "email" {
    equals = { emailaddress1 = "lower(trim(email))" }
  }
  rule "name" {
    equals = { firstname = "trim(first)", lastname = "trim(last)", "parentcustomerid_account/name" = "trim(company)" }
    tables = ["contact"]
  }
  rule "lead_name" {
    equals = { firstname = "trim(first)", lastname = "trim(last)", companyname = "trim(company)" }
    tables = ["lead"]
  }
  on_multiple = "most_recently_modified"
  on_none     = "create"
  keep        = "last"
  order_by    = "updated_at"
}
merge {
  empty = "skip"
}
mapping {
  sluice_externalid = "ext_id"
  firstname         = "first"
  lastname          = { value = "last", default = "'Unknown'" }
  emailaddress1     = "lower(trim(email ?? ''))"
  jobtitle          = { value = "title", update = "if_empty" }
  telephone1        = ["direct_phone", "company_phone"]
}
account {
  rule "name" {
    equals = { name = "trim(company)" }
  }
  on_none     = "create"
  on_multiple = "most_recently_modified"
  create      = { name = "trim(company)" }
}
`

// fixtureInput is the schema of input.csv: every column text.
var fixtureInput = schemaOf(col{"ext_id", text}, col{"email", text}, col{"first", text}, col{"last", text}, col{"company", text},
	col{"title", text}, col{"direct_phone", text}, col{"company_phone", text}, col{"updated_at", text})

// startFixture starts an emulator with the fixture's tables and records,
// and returns it with the ids of the records by ref.
func startFixture(t *testing.T) (*emulator.Server, map[string]string) {
	t.Helper()
	srv := emulatortest.Start(t, emulatortest.WithTablesFile(filepath.Join(fixtureDir, "tables.hcl")))
	return srv, seedFixture(t, srv, filepath.Join(fixtureDir, "crm.json"))
}

// seedFixture inserts a CRM state file's records: accounts, contacts, leads,
// in file order; "@ref" values bind lookups to earlier records.
func seedFixture(t testing.TB, srv *emulator.Server, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var state map[string]json.RawMessage
	if err := json.Unmarshal(data, &state); err != nil {
		t.Fatal(err)
	}
	sets := map[string]string{"account": "accounts", "contact": "contacts", "lead": "leads"}
	ids := map[string]string{}
	for _, table := range []string{"account", "contact", "lead"} {
		var recs []map[string]any
		if raw, ok := state[table]; ok {
			if err := json.Unmarshal(raw, &recs); err != nil {
				t.Fatal(err)
			}
		}
		for _, rec := range recs {
			ref, _ := rec["ref"].(string)
			delete(rec, "ref")
			for k, v := range rec {
				if s, ok := v.(string); ok && strings.HasPrefix(s, "@") {
					id, ok := ids[s[1:]]
					if !ok {
						t.Fatalf("%s: unknown ref %s", ref, s)
					}
					target := "account"
					if strings.HasSuffix(k, "_contact@odata.bind") {
						target = "contact"
					}
					rec[k] = "/" + sets[target] + "(" + id + ")"
				}
			}
			got, err := srv.Insert(context.Background(), table, rec)
			if err != nil {
				t.Fatalf("%s: %v", ref, err)
			}
			ids[ref] = got[0]
		}
	}
	return ids
}

// readInput reads a CSV file of text columns into rows (empty → null).
func readInput(t testing.TB, path string) [][]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lines, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
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

// expectedRow is one line of expected.csv.
type expectedRow struct {
	row                   int
	action, table, record string
	changes               map[string]string
	reason                string
}

func readExpected(t testing.TB, path string) []expectedRow {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var body []string
	for _, l := range strings.Split(string(data), "\n") {
		if !strings.HasPrefix(l, "#") {
			body = append(body, l)
		}
	}
	lines, err := csv.NewReader(strings.NewReader(strings.Join(body, "\n"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []expectedRow
	for _, l := range lines[1:] {
		e := expectedRow{action: l[1], table: l[2], record: l[3], reason: l[5], changes: map[string]string{}}
		fmt.Sscan(l[0], &e.row)
		for _, c := range strings.Split(l[4], ";") {
			if k, v, ok := strings.Cut(c, "="); ok {
				e.changes[k] = v
			}
		}
		out = append(out, e)
	}
	return out
}

// resolveRef turns an expected value into what the CRM holds: @ref into the
// fixture record's id, +account:Name into the id of the one account of that
// name the run created.
func resolveRef(t testing.TB, srv *emulator.Server, ids map[string]string, v string) string {
	t.Helper()
	switch {
	case strings.HasPrefix(v, "@"):
		return ids[v[1:]]
	case strings.HasPrefix(v, "+account:"):
		name := strings.TrimPrefix(v, "+account:")
		recs, err := srv.Records("account")
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

// TestMatchingFixture runs the fixture through the sink: its plan must be
// expected.csv row by row, with no write sent; the run must do what the
// plan said and leave the CRM as final.json says.
func TestMatchingFixture(t *testing.T) {
	srv, ids := startFixture(t)
	host := testhost.New(t)
	rows := readInput(t, filepath.Join(fixtureDir, "input.csv"))
	want := readExpected(t, filepath.Join(fixtureDir, "expected.csv"))
	if len(want) != len(rows) {
		t.Fatalf("expected.csv has %d rows, input.csv %d", len(want), len(rows))
	}

	// The plan.
	planner := open(t, host, fixtureInput, connection(srv)+zoomInfoSink)
	srv.ResetRequestLog()
	rec := record(host.Mem, fixtureInput, rows...)
	plans, err := planner.Plan(context.Background(), rec)
	rec.Release()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range srv.RequestLog() {
		if e.Write {
			t.Errorf("the plan sent a write: %s %s", e.Method, e.Path)
		}
	}
	slices.SortFunc(plans, func(a, b sdk.RowPlan) int { return a.Row - b.Row })
	if len(plans) != len(rows) {
		t.Fatalf("%d row plans for %d rows", len(plans), len(rows))
	}
	// Accounts the plan creates are named by the rows that create them;
	// rows that use them say so in the change.
	for i, p := range plans {
		checkPlanRow(t, srv, ids, want[i], p)
	}
	accountsPlanned := 0
	for _, p := range plans {
		accountsPlanned += len(p.Related)
	}
	if accountsPlanned != 3 {
		t.Errorf("the plan creates %d accounts, want 3 (Initech once, Velvet, #1 Tacos)", accountsPlanned)
	}

	// The run, with a sink of its own: a plan and a run are two runs.
	writer := open(t, host, fixtureInput, connection(srv)+zoomInfoSink)
	res := write(t, writer, record(host.Mem, fixtureInput, rows...))
	counts := map[string]int{}
	for _, e := range want {
		counts[e.action]++
	}
	if res.Created != counts["create"] || res.Updated != counts["update"] || res.Unchanged != counts["unchanged"] ||
		res.Deduplicated != counts["deduplicated"] || len(res.Rejects) != counts["reject"] || res.Skipped != counts["skip"] {
		t.Errorf("the run's result %+v differs from the plan's counts %v", res, counts)
	}
	for _, rj := range res.Rejects {
		if want[rj.Row].action != "reject" {
			t.Errorf("row %d rejected: %s", rj.Row+1, rj.Message)
		}
	}
	checkFinal(t, srv, ids, filepath.Join(fixtureDir, "final.json"))
}

// checkPlanRow compares one row's plan with its line of expected.csv.
func checkPlanRow(t *testing.T, srv *emulator.Server, ids map[string]string, e expectedRow, p sdk.RowPlan) {
	t.Helper()
	where := fmt.Sprintf("row %d (%s)", e.row, p.Label)
	if string(p.Action) != e.action {
		t.Errorf("%s: action %s, want %s (%s %s)", where, p.Action, e.action, p.Code, p.Reason)
		return
	}
	if e.table != "" && p.Table != e.table {
		t.Errorf("%s: table %s, want %s", where, p.Table, e.table)
	}
	switch e.record {
	case "new":
		if p.Record != "" {
			t.Errorf("%s: creates record %s, want a new one", where, p.Record)
		}
	case "":
	default:
		if p.Record != ids[e.record] {
			t.Errorf("%s: record %s, want %s (%s)", where, p.Record, ids[e.record], e.record)
		}
	}
	if e.reason != "" && !strings.Contains(p.Reason, e.reason) {
		t.Errorf("%s: reason %q does not say %q", where, p.Reason, e.reason)
	}
	got := map[string]string{}
	for _, c := range p.Changes {
		got[c.Field] = fmt.Sprint(c.After)
	}
	for field, v := range e.changes {
		switch {
		case strings.HasPrefix(v, "+account:"):
			name := strings.TrimPrefix(v, "+account:")
			if !strings.Contains(got[field], "new account") || !strings.Contains(got[field], name) {
				t.Errorf("%s: %s = %q, want the new account %s", where, field, got[field], name)
			}
		default:
			if w := resolveRef(t, srv, ids, v); got[field] != w {
				t.Errorf("%s: %s = %q, want %q", where, field, got[field], w)
			}
		}
	}
	for field := range got {
		if _, ok := e.changes[field]; !ok {
			t.Errorf("%s: changes %s (to %q), which expected.csv does not", where, field, got[field])
		}
	}
}

// checkFinal compares the CRM with a final-state file.
func checkFinal(t *testing.T, srv *emulator.Server, ids map[string]string, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var final struct {
		Counts  map[string]int
		Contact map[string]map[string]any
		Lead    map[string]map[string]any
	}
	if err := json.Unmarshal(data, &final); err != nil {
		t.Fatal(err)
	}
	for table, n := range final.Counts {
		if got, _ := srv.Count(table); got != n {
			t.Errorf("%s: %d records, want %d", table, got, n)
		}
	}
	for table, want := range map[string]map[string]map[string]any{"contact": final.Contact, "lead": final.Lead} {
		recs, err := srv.Records(table)
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
			r := byID[ids[name]]
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
				if w := resolveRef(t, srv, ids, v.(string)); fmt.Sprint(got) != w {
					t.Errorf("%s %s: %s = %v, want %s", table, name, field, got, w)
				}
			}
		}
	}
}
