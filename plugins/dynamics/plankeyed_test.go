package dynamics_test

import (
	"strings"
	"testing"

	"github.com/sluicedata/sluice/sdk"
)

// TestPlanWithoutMatch: a sink writing blindly by key is planned by looking
// rows up by their key, and reports what the blind write does: create or
// update (unchanged rows are sent anyway, and nulls clear fields), skip or
// reject a missing record, delete.
func TestPlanWithoutMatch(t *testing.T) {
	e := newMatchEnv(t)
	e.insert("contact", "ann", map[string]any{"lastname": "Lee", "emailaddress1": "ann@example.com", "jobtitle": "CTO", "telephone1": "111"})
	e.insert("contact", "bob", map[string]any{"lastname": "Ray", "emailaddress1": "bob@example.com", "jobtitle": "Dev"})
	rows := [][]any{
		person("", "ann@example.com", "", "Lee", "", "CEO", "", 0), // phone null: cleared
		person("", "bob@example.com", "", "Ray", "", "Dev", "", 0),
		person("", "new@example.com", "", "New", "", "", "", 0),
	}
	mapping := `
mapping {
  lastname   = "last"
  jobtitle   = "title"
  telephone1 = "phone"
}`
	plans := e.plan(people, `table = "contact"
key = { emailaddress1 = "email" }`+mapping, rows...)
	e.expectAction(plans[0], sdk.PlanUpdate, "ann")
	changed := map[string]any{}
	for _, c := range plans[0].Changes {
		changed[c.Field] = c.After
	}
	if len(changed) != 2 || changed["jobtitle"] != "CEO" || changed["telephone1"] != nil {
		t.Errorf("ann's changes: %v, want jobtitle → CEO and telephone1 cleared", plans[0].Changes)
	}
	e.expectAction(plans[1], sdk.PlanUpdate, "bob")
	if len(plans[1].Changes) != 0 || !strings.Contains(plans[1].Reason, "written anyway") {
		t.Errorf("bob: %+v", plans[1])
	}
	e.expectAction(plans[2], sdk.PlanCreate, "")
	created := false
	for _, c := range plans[2].Changes {
		created = created || c.Field == "emailaddress1" && c.After == "new@example.com"
	}
	if !created {
		t.Errorf("the new record's key is not among its fields: %v", plans[2].Changes)
	}

	plans = e.plan(people, `table = "contact"
operation  = "update"
on_missing = "reject"
key = { emailaddress1 = "email" }`+mapping, rows...)
	if p := plans[2]; p.Action != sdk.PlanReject || p.Code != "dynamics.missing" {
		t.Errorf("update of a missing record: %s %s", p.Action, p.Code)
	}
	plans = e.plan(people, `table = "contact"
operation = "delete"
key = { emailaddress1 = "email" }`, rows...)
	e.expectAction(plans[0], sdk.PlanDelete, "ann")
	if p := plans[2]; p.Action != sdk.PlanSkip {
		t.Errorf("delete of a missing record: %s, want skip", p.Action)
	}
	if n := e.writesSent(); n != 0 {
		t.Errorf("plans sent %d writes", n)
	}
}
