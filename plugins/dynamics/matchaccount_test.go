package dynamics_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/sluicedata/sluice/sdk"
)

// contactsWithAccount is a contact sink associating rows with their account
// by name; extra goes in the account block.
func contactsWithAccount(extra string) string {
	return `table = "contact"
match {
  rule "email" { equals = { emailaddress1 = "email" } }
}
mapping {
  lastname      = "last"
  emailaddress1 = "email"
}
account {
  rule "number" { equals = { accountnumber = "ext" } }
  rule "name"   { equals = { name = "company" } }
  ` + extra + `
}`
}

// TestAccountAssociation: rules in order, and what happens when none or
// several accounts match.
func TestAccountAssociation(t *testing.T) {
	e := newMatchEnv(t)
	e.insert("account", "acme", map[string]any{"name": "Acme"})
	e.insert("account", "numbered", map[string]any{"name": "Acme Holdings", "accountnumber": "A-1"})
	e.insert("account", "globex_old", map[string]any{"name": "Globex"})
	e.insert("account", "globex_new", map[string]any{"name": "Globex"})

	rows := [][]any{
		person("A-1", "a@example.com", "", "A", "Acme", "", "", 0), // the number rule first: Acme Holdings
		person("", "b@example.com", "", "B", "Acme", "", "", 0),
		person("", "c@example.com", "", "C", "Globex", "", "", 0),
		person("", "d@example.com", "", "D", "Initech", "", "", 0),
		person("", "e@example.com", "", "E", "", "", "", 0), // names no account
	}
	assoc := func(p sdk.RowPlan) string {
		for _, c := range p.Changes {
			if c.Field == "parentcustomerid" {
				if s, ok := c.After.(string); ok && strings.HasPrefix(s, "new account") {
					return "new"
				}
				return e.name(fmt.Sprint(c.After))
			}
		}
		return "-"
	}
	for _, tc := range []struct {
		block string
		want  []string // per row: the account, "new", "-" (none), or "reject"
	}{
		{`on_multiple = "most_recently_modified"`, []string{"numbered", "acme", "globex_new", "-", "-"}},
		{`on_multiple = "least_recently_modified"`, []string{"numbered", "acme", "globex_old", "-", "-"}},
		{`on_multiple = "most_recently_modified"
		  on_none = "create"
		  create = { name = "company" }`, []string{"numbered", "acme", "globex_new", "new", "-"}},
		{`on_multiple = "most_recently_modified"
		  on_none = "reject"`, []string{"numbered", "acme", "globex_new", "reject", "-"}},
		{`on_multiple = "reject"`, []string{"numbered", "acme", "reject", "-", "-"}},
	} {
		plans := e.plan(people, contactsWithAccount(tc.block), rows...)
		for i, p := range plans {
			got := assoc(p)
			if p.Action == sdk.PlanReject {
				got = "reject"
				if p.Code != "dynamics.account" {
					t.Errorf("%s: row %d: code %s", tc.block, i, p.Code)
				}
			}
			if got != tc.want[i] {
				t.Errorf("%s: row %d (%s): account %s, want %s (%s)", tc.block, i, p.Label, got, tc.want[i], p.Reason)
			}
		}
	}
}

// TestAccountAssociationUpdate: the association's update policy on records
// found.
func TestAccountAssociationUpdate(t *testing.T) {
	e := newMatchEnv(t)
	e.insert("account", "acme", map[string]any{"name": "Acme"})
	e.insert("account", "globex", map[string]any{"name": "Globex"})
	e.insert("contact", "ann", map[string]any{"lastname": "Lee", "emailaddress1": "ann@example.com", "parentcustomerid_account@odata.bind": "@acme"})
	e.insert("contact", "bob", map[string]any{"lastname": "Ray", "emailaddress1": "bob@example.com"})
	rows := [][]any{person("", "ann@example.com", "", "Lee", "Globex", "", "", 0), person("", "bob@example.com", "", "Ray", "Globex", "", "", 0)}
	for _, tc := range []struct {
		update   string
		ann, bob string
	}{{"overwrite", "globex", "globex"}, {"if_empty", "acme", "globex"}, {"never", "acme", ""}} {
		plans := e.plan(people, contactsWithAccount(`update = "`+tc.update+`"`), rows...)
		for i, want := range []string{tc.ann, tc.bob} {
			before := map[int]string{0: "acme", 1: ""}[i]
			if want == before {
				if plans[i].Action != sdk.PlanUnchanged {
					t.Errorf("update = %s: row %d: %s %v, want unchanged", tc.update, i, plans[i].Action, plans[i].Changes)
				}
				continue
			}
			if len(plans[i].Changes) != 1 || plans[i].Changes[0].After != e.ids[want] {
				t.Errorf("update = %s: row %d: %v, want parentcustomerid → %s", tc.update, i, plans[i].Changes, want)
			}
		}
	}
}

// TestAccountCreatedOnce: an account many rows name, in batches written
// concurrently, is created once, and every row is associated with it.
func TestAccountCreatedOnce(t *testing.T) {
	e := newMatchEnv(t)
	s := e.sink(people, contactsWithAccount(`on_none = "create"
  create = { name = "company" }`))
	const batches, perBatch, companies = 8, 25, 5
	var wg sync.WaitGroup
	results := make([]sdk.WriteResult, batches)
	for b := range batches {
		var rows [][]any
		for i := range perBatch {
			n := b*perBatch + i
			rows = append(rows, person("", fmt.Sprintf("p%d@example.com", n), "", fmt.Sprint("P", n), fmt.Sprintf("Company %d", n%companies), "", "", 0))
		}
		rec := record(e.host.Mem, people, rows...)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer rec.Release()
			res, err := s.Write(context.Background(), rec)
			if err != nil {
				t.Error(err)
			}
			results[b] = res
		}()
	}
	wg.Wait()
	for b, res := range results {
		if res.Created != perBatch {
			t.Errorf("batch %d: %+v", b, res)
		}
	}
	accounts := records(t, e.srv, "account", "name") // fails on two of one name
	if len(accounts) != companies {
		t.Errorf("%d accounts, want %d", len(accounts), companies)
	}
	contacts, _ := e.srv.Records("contact")
	for _, c := range contacts {
		var n int
		fmt.Sscanf(fmt.Sprint(c["lastname"]), "P%d", &n)
		want := accounts[fmt.Sprintf("Company %d", n%companies)]["accountid"]
		if c["_parentcustomerid_value"] != want {
			t.Errorf("%v: account %v, want %v", c["lastname"], c["_parentcustomerid_value"], want)
		}
	}
}

// TestAccountDefault: on_none = "default" associates a row whose company
// matches no account — or that names none — with the default account, when
// its record is new or has no account; a row whose company matches keeps
// its match, and a record's own account is never replaced by the default.
// The plan says so as the run does it. A default account that does not
// exist rejects the rows that need it, in the plan and in the run alike.
func TestAccountDefault(t *testing.T) {
	e := newMatchEnv(t)
	e.insert("account", "acme", map[string]any{"name": "Acme"})
	e.insert("account", "house", map[string]any{"name": "House accounts", "accountnumber": "HOUSE"})
	e.insert("contact", "ann", map[string]any{"lastname": "Lee", "emailaddress1": "ann@example.com", "parentcustomerid_account@odata.bind": "@acme"})
	e.insert("contact", "bob", map[string]any{"lastname": "Ray", "emailaddress1": "bob@example.com"})
	rows := [][]any{
		person("", "cat@example.com", "", "Cat", "Acme", "", "", 0),    // new, matches: Acme
		person("", "dan@example.com", "", "Dan", "Initech", "", "", 0), // new, matches nothing: the default
		person("", "eve@example.com", "", "Eve", "", "", "", 0),        // new, names none: the default
		person("", "ann@example.com", "", "Lee", "Initech", "", "", 0), // has Acme, matches nothing: keeps Acme
		person("", "bob@example.com", "", "Ray", "Initech", "", "", 0), // has none, matches nothing: the default
	}
	const reject = "reject"
	want := []struct {
		action  sdk.PlanAction
		account string // the account the row sets, "" for none
		note    string // a piece of the reason
	}{
		{sdk.PlanCreate, "acme", ""},
		{sdk.PlanCreate, "house", "no account matches name = 'Initech': the default account (accountnumber = 'HOUSE')"},
		{sdk.PlanCreate, "house", "the row names no account: the default account (accountnumber = 'HOUSE')"},
		{sdk.PlanUnchanged, "", ""},
		{sdk.PlanUpdate, "house", "no account matches name = 'Initech'"},
	}
	assoc := func(p sdk.RowPlan) string {
		for _, c := range p.Changes {
			if c.Field == "parentcustomerid" {
				return e.name(fmt.Sprint(c.After))
			}
		}
		return ""
	}
	for _, def := range []string{`{ accountnumber = "'HOUSE'" }`, `{ accountid = "'` + e.ids["house"] + `'" }`} {
		body := contactsWithAccount(`on_none = "default"
  default = ` + def)
		for i, p := range e.plan(people, body, rows...) {
			w := want[i]
			if strings.Contains(def, "accountid") {
				w.note = strings.ReplaceAll(w.note, "accountnumber = 'HOUSE'", "accountid = "+e.ids["house"])
			}
			if p.Action != w.action || assoc(p) != w.account || !strings.Contains(p.Reason, w.note) {
				t.Errorf("default = %s: plan row %d: %s, account %q (%q); want %s, account %q (%q)", def, i, p.Action, assoc(p), p.Reason, w.action, w.account, w.note)
			}
		}
	}

	// The run does what the plan says.
	body := contactsWithAccount(`on_none = "default"
  default = { accountnumber = "'HOUSE'" }`)
	res := e.write(e.sink(people, body), people, rows...)
	if res.Created != 3 || res.Updated != 1 || res.Unchanged != 1 || len(res.Rejects) != 0 {
		t.Errorf("write: %+v", res)
	}
	recs := records(t, e.srv, "contact", "emailaddress1")
	for email, account := range map[string]string{"cat@example.com": "acme", "dan@example.com": "house", "eve@example.com": "house", "ann@example.com": "acme", "bob@example.com": "house"} {
		if got := recs[email]["_parentcustomerid_value"]; got != e.ids[account] {
			t.Errorf("%s: account %v (%s), want %s", email, got, e.name(fmt.Sprint(got)), account)
		}
	}
	if n := e.count("account"); n != 2 {
		t.Errorf("%d accounts: the default creates none", n)
	}

	// A default account that does not exist rejects the rows that need it.
	if err := e.srv.Reset(); err != nil {
		t.Fatal(err)
	}
	e.insert("account", "acme", map[string]any{"name": "Acme"})
	body = contactsWithAccount(`on_none = "default"
  default = { accountnumber = "'NOPE'" }`)
	reasons := map[int]string{
		1: "no account matches name = 'Initech', and the default account (accountnumber = 'NOPE') does not exist",
		2: "the row names no account, and the default account (accountnumber = 'NOPE') does not exist",
	}
	rows = rows[:3]
	for i, p := range e.plan(people, body, rows...) {
		got := string(p.Action)
		if got == reject {
			got += " " + p.Code + ": " + p.Reason
		}
		wantPlan := string(sdk.PlanCreate)
		if r, ok := reasons[i]; ok {
			wantPlan = reject + " dynamics.account: " + r
		}
		if got != wantPlan {
			t.Errorf("plan row %d: %s, want %s", i, got, wantPlan)
		}
	}
	res = e.write(e.sink(people, body), people, rows...)
	rejects := rejectsByRow(res.Rejects)
	if res.Created != 1 || len(rejects) != 2 {
		t.Errorf("write: %+v", res)
	}
	for i, r := range reasons {
		if rejects[i].Code != "dynamics.account" || rejects[i].Message != r {
			t.Errorf("write row %d: %+v, want dynamics.account: %s", i, rejects[i], r)
		}
	}

	// A default that cannot be compared with its column rejects only the
	// rows that need it.
	plans := e.plan(people, contactsWithAccount(`on_none = "default"
  default = { accountid = "'not-a-guid'" }`), rows[:2]...)
	if plans[0].Action == sdk.PlanReject || plans[1].Action != sdk.PlanReject || plans[1].Code != "dynamics.key" ||
		!strings.HasPrefix(plans[1].Reason, "no account matches name = 'Initech', and the default account, accountid: ") {
		t.Errorf("a malformed default: %+v", plans)
	}
}
