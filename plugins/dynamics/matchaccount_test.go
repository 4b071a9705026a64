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
