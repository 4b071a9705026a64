package dynamics_test

import (
	"fmt"
	"testing"

	"github.com/sluicedata/sluice/sdk"
)

// TestMatchDefaultAccount: a lookup's default is a default account. It
// fills the account of a new record, and of a found record that has none,
// when the row names no account (by its number); it never replaces the
// account a record has, nor the account a row names.
func TestMatchDefaultAccount(t *testing.T) {
	e := newMatchEnv(t)
	e.insert("account", "acme", map[string]any{"name": "Acme", "accountnumber": "A-1"})
	e.insert("account", "unassigned", map[string]any{"name": "Unassigned"})
	e.insert("contact", "ann", map[string]any{"lastname": "Lee", "emailaddress1": "ann@example.com", "parentcustomerid_account@odata.bind": "@acme"})
	e.insert("contact", "bob", map[string]any{"lastname": "Ray", "emailaddress1": "bob@example.com"})
	body := `table = "contact"
match {
  rule "email" { equals = { emailaddress1 = "email" } }
}
mapping {
  lastname         = "last"
  emailaddress1    = "email"
  parentcustomerid = { lookup = "account", by = { accountnumber = "ext" }, default = "'` + e.ids["unassigned"] + `'" }
}`
	rows := [][]any{
		person("", "ann@example.com", "", "Lee", "", "", "", 0), // has Acme, names none: keeps Acme
		person("", "bob@example.com", "", "Ray", "", "", "", 0), // has none, names none: the default
		person("", "cat@example.com", "", "Cat", "", "", "", 0), // new, names none: the default
		person("A-1", "dan@example.com", "", "Dan", "", "", "", 0),
	}
	want := []struct {
		action  sdk.PlanAction
		account string // the account the plan sets, "" for none
	}{{sdk.PlanUnchanged, ""}, {sdk.PlanUpdate, "unassigned"}, {sdk.PlanCreate, "unassigned"}, {sdk.PlanCreate, "acme"}}
	for i, p := range e.plan(people, body, rows...) {
		got := ""
		for _, c := range p.Changes {
			if c.Field == "parentcustomerid" {
				got = e.name(c.After.(string))
			}
		}
		if p.Action != want[i].action || got != want[i].account {
			t.Errorf("plan row %d: %s, account %s; want %s, account %q (%s %s)", i, p.Action, got, want[i].action, want[i].account, p.Code, p.Reason)
		}
	}

	res := e.write(e.sink(people, body), people, rows...)
	if res.Created != 2 || res.Updated != 1 || res.Unchanged != 1 || len(res.Rejects) != 0 {
		t.Errorf("write: %+v", res)
	}
	recs := records(t, e.srv, "contact", "emailaddress1")
	for email, account := range map[string]string{"ann@example.com": "acme", "bob@example.com": "unassigned", "cat@example.com": "unassigned", "dan@example.com": "acme"} {
		if got := recs[email]["_parentcustomerid_value"]; got != e.ids[account] {
			t.Errorf("%s: account %v (%s), want %s", email, got, e.name(fmt.Sprint(got)), account)
		}
	}
}
