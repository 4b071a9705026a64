package synctest_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/sluicedata/sluice/engine"
	"github.com/sluicedata/sluice/plugins/builtin"
	"github.com/sluicedata/sluice/plugins/dynamics/emulator"
	"github.com/sluicedata/sluice/plugins/dynamics/emulator/emulatortest"
	"github.com/sluicedata/sluice/sdk"
)

// The second run of an unchanged segment sends no write request at all;
// with 1% of the rows changed, it writes exactly those rows.
func TestSyncSendsNothingForAnUnchangedSegmentAndOnePercentForOnePercent(t *testing.T) {
	srv := startEmulator(t)
	f := newFixture(t, srv, syncOptions{})
	rows := people(10_000)

	n := f.mustRun(rows, engine.RunOptions{})
	first := f.traffic()
	if n.Out != 10_000 || first.records != 10_000 || len(contacts(t, srv)) != 10_000 {
		t.Fatalf("first run: %+v; %d records written in %d requests", n, first.records, first.writeRequests)
	}

	n = f.mustRun(rows, engine.RunOptions{})
	if tr := f.traffic(); tr.writeRequests != 0 || tr.records != 0 || n.Unchanged != 10_000 {
		t.Errorf("unchanged segment: %d write requests, %d records written, %d rows unchanged; want none, none, 10000",
			tr.writeRequests, tr.records, n.Unchanged)
	}

	changed := slices.Clone(rows)
	for i := 0; i < len(changed); i += 100 {
		changed[i].title = "Manager"
	}
	n = f.mustRun(changed, engine.RunOptions{})
	tr := f.traffic()
	t.Logf("first run: %d records in %d write requests; 1%% changed: %d records in %d write requests",
		first.records, first.writeRequests, tr.records, tr.writeRequests)
	if tr.records != 100 || n.Unchanged != 9_900 {
		t.Errorf("1%% changed: %d records written, %d rows unchanged; want 100 and 9900", tr.records, n.Unchanged)
	}
	// The changed rows, spread over the segment, are gathered into one
	// request of the sink's batch size (1,000 rows).
	if tr.writeRequests != 1 {
		t.Errorf("1%% changed took %d write requests, want 1 (the first run took %d)", tr.writeRequests, first.writeRequests)
	}
	got := contacts(t, srv)
	if got["person0@example.com"]["jobtitle"] != "Manager" || got["person1@example.com"]["jobtitle"] != "Engineer" {
		t.Errorf("after the change: %v, %v", got["person0@example.com"]["jobtitle"], got["person1@example.com"]["jobtitle"])
	}
}

// --full sends every row, whatever the snapshot says; the run after it
// sends nothing again.
func TestSyncFullResendsEveryRow(t *testing.T) {
	srv := startEmulator(t)
	f := newFixture(t, srv, syncOptions{})
	rows := people(500)
	f.mustRun(rows, engine.RunOptions{})
	f.traffic()
	if n := f.mustRun(rows, engine.RunOptions{Full: true}); n.Unchanged != 0 {
		t.Errorf("--full: %d rows counted unchanged", n.Unchanged)
	}
	if tr := f.traffic(); tr.records != 500 {
		t.Errorf("--full wrote %d records, want 500", tr.records)
	}
	f.mustRun(rows, engine.RunOptions{})
	if tr := f.traffic(); tr.writeRequests != 0 {
		t.Errorf("the run after --full sent %d write requests", tr.writeRequests)
	}
}

// A row the service refuses is not in the snapshot: the next run sends it,
// and only it.
func TestSyncSendsRejectedRowsAgain(t *testing.T) {
	srv := startEmulator(t, emulatortest.WithFaults(emulator.Fault{Kind: emulator.FaultRecord, Table: "contact", Column: "emailaddress1", Value: "person7@example.com"}))
	f := newFixture(t, srv, syncOptions{})
	rows := people(200)
	if n := f.mustRun(rows, engine.RunOptions{}); n.Rejected != 1 || n.Out != 199 {
		t.Fatalf("first run: %+v", n)
	}
	if _, ok := contacts(t, srv)["person7@example.com"]; ok {
		t.Fatal("the refused row was written")
	}
	f.traffic()
	srv.SetFaults(nil)
	if n := f.mustRun(rows, engine.RunOptions{}); n.Unchanged != 199 || n.Rejected != 0 {
		t.Errorf("second run: %+v", n)
	}
	if tr := f.traffic(); tr.records != 1 {
		t.Errorf("second run wrote %d records, want the one rejected before", tr.records)
	}
	if c, ok := contacts(t, srv)["person7@example.com"]; !ok || c["firstname"] != "First7" {
		t.Errorf("the row rejected before: %v", c)
	}
}

// Each on_leave action does what it says to the records of rows that left
// the segment — one of them with a key a URL cannot hold, one already
// deleted in the CRM — and nothing else: no record is created, the others
// are untouched, and the next run has nothing left to do. "nothing" sends
// no request at all and leaves every record as it was.
func TestSyncOnLeave(t *testing.T) {
	rows := people(100)
	rows[3].email = "Plus+Tag@Example.com"
	leaving := []int{3, 10, 11, 12, 13} // 10 has a company: its lookup is cleared too
	var staying []person
	for i, r := range rows {
		if !slices.Contains(leaving, i) {
			staying = append(staying, r)
		}
	}
	email := func(i int) string { return strings.ToLower(rows[i].email) }
	for _, action := range []string{"delete", "deactivate", "clear", "nothing"} {
		t.Run(action, func(t *testing.T) {
			srv := startEmulator(t)
			f := newFixture(t, srv, syncOptions{onLeave: action})
			f.mustRun(rows, engine.RunOptions{})
			deleteContact(t, srv, email(13))
			before := contacts(t, srv)
			f.traffic()

			n := f.mustRun(staying, engine.RunOptions{})
			entries := srv.RequestLog()
			tr := f.traffic()
			for _, e := range entries {
				if e.Write && !e.InBatch || e.Operation == "query" {
					t.Logf("%s %s → %d (%s, %d records)", e.Method, e.Path, e.Status, e.Operation, e.Records)
				}
			}
			wantLeft := int64(5)
			if action == "nothing" {
				wantLeft = 0
				if tr.writeRequests != 0 {
					t.Errorf("on_leave = nothing sent %d write requests: %v", tr.writeRequests, tr.byOperation)
				}
			}
			if n.Left != wantLeft || n.Rejected != 0 || n.Unchanged != 95 {
				t.Errorf("leave run: %+v; want %d left", n, wantLeft)
			}
			if tr.byOperation["create"]+tr.byOperation["UpsertMultiple"]+tr.byOperation["CreateMultiple"] > 0 {
				t.Errorf("the leave run created or upserted records: %v", tr.byOperation)
			}
			got := contacts(t, srv)
			if _, ok := got[email(13)]; ok {
				t.Errorf("%s: the record deleted in the CRM came back", action)
			}
			for i := range rows {
				c, ok := got[email(i)]
				left := slices.Contains(leaving[:4], i)
				switch {
				case i == 13:
				case action == "delete" && left:
					if ok {
						t.Errorf("%s was not deleted", email(i))
					}
				case !ok:
					t.Errorf("%s is missing", email(i))
				case action == "deactivate" && left:
					if fmt.Sprint(c["statecode"]) != "1" || fmt.Sprint(c["statuscode"]) != "2" {
						t.Errorf("%s: statecode %v, statuscode %v; want 1 (Inactive) and 2", email(i), c["statecode"], c["statuscode"])
					}
				case action == "clear" && left:
					for _, col := range []string{"firstname", "lastname", "jobtitle", "address1_city", "_parentcustomerid_value"} {
						if c[col] != nil {
							t.Errorf("%s: %s is %v, want it cleared", email(i), col, c[col])
						}
					}
					if c["emailaddress1"] != email(i) || fmt.Sprint(c["statecode"]) != "0" {
						t.Errorf("%s: the key or the state changed: %v, %v", email(i), c["emailaddress1"], c["statecode"])
					}
				default:
					if fmt.Sprint(c) != fmt.Sprint(before[email(i)]) {
						t.Errorf("%s changed:\n%v\n%v", email(i), before[email(i)], c)
					}
				}
			}
			if action == "clear" && before[email(10)]["_parentcustomerid_value"] == nil {
				t.Error("the test's row 10 had no lookup to clear")
			}

			// Done once.
			if n := f.mustRun(staying, engine.RunOptions{}); n.Left != 0 {
				t.Errorf("the run after acted on %d rows again", n.Left)
			}
			if tr := f.traffic(); tr.writeRequests != 0 {
				t.Errorf("the run after sent %d write requests", tr.writeRequests)
			}
		})
	}
}

// A row whose key differs from one that left only as Dataverse ignores (in
// case) addresses the same record: the record stays.
func TestSyncKeepsARecordThatARowStillInTheInputAddresses(t *testing.T) {
	srv := startEmulator(t)
	f := newFixture(t, srv, syncOptions{onLeave: "delete"})
	rows := people(50)
	f.mustRun(rows, engine.RunOptions{})
	renamed := slices.Clone(rows)
	renamed[5].email = "PERSON5@EXAMPLE.COM" // the same record, another key for the engine
	renamed[5].title = "Director"
	if n := f.mustRun(renamed, engine.RunOptions{}); n.Left != 1 {
		t.Errorf("%+v", n)
	}
	if c, ok := contacts(t, srv)["person5@example.com"]; !ok || c["jobtitle"] != "Director" {
		t.Errorf("the record of a row still in the input: %v (present: %v)", c, ok)
	}
}

// The whole sync with the state in PostgreSQL: snapshots, rows leaving,
// the run history.
func TestSyncWithPostgresState(t *testing.T) {
	srv := startEmulator(t)
	f := newFixture(t, srv, syncOptions{onLeave: "delete", stateBlock: `
variable "state_url" {
  default   = env("STATE_URL")
  sensitive = true
}
state {
  backend = "postgres"
  url     = var.state_url
  name    = "contacts-sync"
}`})
	f.env["STATE_URL"] = pg.CreateDatabase(t)
	rows := people(200)
	f.mustRun(rows, engine.RunOptions{})
	f.traffic()
	if n := f.mustRun(rows, engine.RunOptions{}); n.Unchanged != 200 {
		t.Errorf("unchanged: %+v", n)
	}
	if tr := f.traffic(); tr.writeRequests != 0 {
		t.Errorf("unchanged segment: %d write requests", tr.writeRequests)
	}
	next := slices.Clone(rows[:195])
	next[0].city, next[1].city = "Quito", "Accra"
	if n := f.mustRun(next, engine.RunOptions{}); n.Left != 5 || n.Unchanged != 193 {
		t.Errorf("changes and leaves: %+v", n)
	}
	if tr := f.traffic(); tr.byOperation["UpsertMultiple"] != 2 || tr.byOperation["delete"] != 5 {
		t.Errorf("changes and leaves wrote %v; want 2 upserted and 5 deleted", tr.byOperation)
	}
	if got := len(contacts(t, srv)); got != 195 {
		t.Errorf("%d contacts, want 195", got)
	}
	sum := f.describe()
	if sum.Backend != "postgres" || sum.Snapshots["sink.contacts"] != 195 || sum.Runs != 3 {
		t.Errorf("state: %+v", sum)
	}
}

// A create has no key: a sync block on it is refused, and the diagnostic
// says why and what to do.
func TestSyncRefusesACreate(t *testing.T) {
	srv := startEmulator(t)
	f := newFixture(t, srv, syncOptions{sinkExtra: `operation = "create"`})
	src := strings.Replace(fileText(t, f.path), `key   = { emailaddress1 = "lower(email)" }`, "", 1)
	writeFile(t, f.path, src)
	eng, err := engine.New(engine.WithPlugins(append(builtin.Plugins(), f.rejects.Plugins()...)...))
	if err != nil {
		t.Fatal(err)
	}
	p, err := eng.Load(f.path, engine.Inputs{LookupEnv: func(k string) (string, bool) { v, ok := f.env[k]; return v, ok }})
	if err != nil {
		t.Fatal(err)
	}
	writeCSV(t, f.segment, people(3))
	err = p.Validate(context.Background(), engine.ValidateOptions{})
	if err == nil || !strings.Contains(err.Error(), "No key to sync by") || !strings.Contains(err.Error(), `operation = "create" makes a new record for every row`) {
		t.Errorf("validate: %v", err)
	}
}

// withMatch turns the fixture's pipeline into one that finds contacts by a
// match rule on the email instead of writing by key.
func withMatch(t *testing.T, f *fixture) {
	t.Helper()
	src := strings.Replace(fileText(t, f.path), `key   = { emailaddress1 = "lower(email)" }`, `match {
    rule "email" {
      equals = { emailaddress1 = "lower(email)" }
    }
  }`, 1)
	src = strings.Replace(src, `firstname        = "first"`, `emailaddress1    = "lower(email)"
    firstname        = "first"`, 1)
	writeFile(t, f.path, src)
}

// A sink with a match block syncs by the columns its rules read: an
// unchanged segment sends no request at all, lookups included, and changed
// rows update the records the rules find rather than creating others.
func TestSyncWithAMatchBlock(t *testing.T) {
	srv := startEmulator(t)
	f := newFixture(t, srv, syncOptions{})
	withMatch(t, f)
	rows := people(300)

	if n := f.mustRun(rows, engine.RunOptions{}); n.Out != 300 || len(contacts(t, srv)) != 300 {
		t.Fatalf("first run: %+v, %d contacts", n, len(contacts(t, srv)))
	}
	f.traffic()

	n := f.mustRun(rows, engine.RunOptions{})
	var data []string // requests past Open's reading of the tables' definitions
	for _, e := range srv.RequestLog() {
		if !strings.Contains(e.Path, "EntityDefinitions") && !strings.Contains(e.Path, "sdkmessagefilters") && !strings.HasSuffix(e.Path, "/WhoAmI") {
			data = append(data, e.Method+" "+e.Path)
		}
	}
	if n.Unchanged != 300 || len(data) != 0 {
		t.Errorf("unchanged segment: %d rows unchanged, requests %v; want 300 and none", n.Unchanged, data)
	}
	f.traffic()

	changed := slices.Clone(rows)
	for i := 0; i < len(changed); i += 100 {
		changed[i].title = "Manager"
	}
	n = f.mustRun(changed, engine.RunOptions{})
	tr := f.traffic()
	if n.Unchanged != 297 || tr.records != 3 || tr.byOperation["UpdateMultiple"]+tr.byOperation["update"] != 3 {
		t.Errorf("3 changed: %d unchanged, %d records written %v; want 297 and 3 updates", n.Unchanged, tr.records, tr.byOperation)
	}
	got := contacts(t, srv)
	if len(got) != 300 || got["person100@example.com"]["jobtitle"] != "Manager" || got["person101@example.com"]["jobtitle"] != "Engineer" {
		t.Errorf("%d contacts; person100 %v, person101 %v", len(got), got["person100@example.com"]["jobtitle"], got["person101@example.com"]["jobtitle"])
	}
}

// A match block cannot act on rows that left: on_leave is refused before
// the run, at its position, saying why.
func TestSyncRefusesOnLeaveWithAMatchBlock(t *testing.T) {
	srv := startEmulator(t)
	f := newFixture(t, srv, syncOptions{onLeave: "deactivate"})
	withMatch(t, f)
	eng, err := engine.New(engine.WithPlugins(append(builtin.Plugins(), f.rejects.Plugins()...)...))
	if err != nil {
		t.Fatal(err)
	}
	p, err := eng.Load(f.path, engine.Inputs{LookupEnv: func(k string) (string, bool) { v, ok := f.env[k]; return v, ok }})
	if err != nil {
		t.Fatal(err)
	}
	writeCSV(t, f.segment, people(3))
	err = p.Validate(context.Background(), engine.ValidateOptions{})
	if err == nil || !strings.Contains(err.Error(), "Unsupported on_leave") || !strings.Contains(err.Error(), "contacts.hcl:") ||
		!strings.Contains(err.Error(), `on_leave = "nothing" with a match block`) {
		t.Errorf("validate: %v", err)
	}
}

// A plan of a sync sink considers only the rows that changed since the
// last run, numbers none of them (the sink does not see the others), and
// saves nothing: the run after it writes the same rows.
func TestPlanOfASyncSinkSavesNothing(t *testing.T) {
	srv := startEmulator(t)
	f := newFixture(t, srv, syncOptions{})
	rows := people(200)
	f.mustRun(rows, engine.RunOptions{})
	f.traffic()

	changed := slices.Clone(rows)
	for _, i := range []int{3, 50, 150} {
		changed[i].title = "Manager"
	}
	writeCSV(t, f.segment, changed)
	eng, err := engine.New(engine.WithPlugins(append(builtin.Plugins(), f.rejects.Plugins()...)...))
	if err != nil {
		t.Fatal(err)
	}
	p, err := eng.Load(f.path, engine.Inputs{LookupEnv: func(k string) (string, bool) { v, ok := f.env[k]; return v, ok }})
	if err != nil {
		t.Fatal(err)
	}
	var planned []engine.PlannedRow
	var mu sync.Mutex
	if _, err := p.Plan(context.Background(), engine.PlanOptions{Row: func(r engine.PlannedRow) {
		mu.Lock()
		defer mu.Unlock()
		planned = append(planned, r)
	}}); err != nil {
		t.Fatal(err)
	}
	var updates int
	for _, r := range planned {
		if r.Sink == "sink.contacts" {
			if r.Row != -1 {
				t.Errorf("planned row numbered %d", r.Row)
			}
			if r.Plan.Action == sdk.PlanUpdate {
				updates++
			}
		}
	}
	if updates != 3 {
		t.Errorf("plan: %d updates, want 3: %+v", updates, planned)
	}
	if tr := f.traffic(); tr.writeRequests != 0 {
		t.Errorf("the plan sent %d write requests", tr.writeRequests)
	}
	n := f.mustRun(changed, engine.RunOptions{})
	if tr := f.traffic(); tr.records != 3 || n.Unchanged != 197 {
		t.Errorf("the run after the plan: %d records written, %d unchanged; want 3 and 197", tr.records, n.Unchanged)
	}
}
