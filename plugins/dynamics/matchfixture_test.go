package dynamics_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

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

// TestMatchingFixture runs the fixture through the sink: its plan must be
// expected.csv row by row, with no write sent; the run must do what the
// plan said and leave the CRM as final.json says.
func TestMatchingFixture(t *testing.T) {
	f := emulatortest.StartFixture(t, fixtureDir)
	srv := f.Srv
	host := testhost.New(t)
	rows := f.Input(t)
	want := f.Expected(t)

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
	f.CheckPlan(t, plans)
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
		counts[e.Action]++
	}
	if res.Created != counts["create"] || res.Updated != counts["update"] || res.Unchanged != counts["unchanged"] ||
		res.Deduplicated != counts["deduplicated"] || len(res.Rejects) != counts["reject"] || res.Skipped != counts["skip"] {
		t.Errorf("the run's result %+v differs from the plan's counts %v", res, counts)
	}
	for _, rj := range res.Rejects {
		if want[rj.Row].Action != "reject" {
			t.Errorf("row %d rejected: %s", rj.Row+1, rj.Message)
		}
	}
	f.CheckFinal(t)
}
