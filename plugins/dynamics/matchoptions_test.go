package dynamics_test

import (
	"context"
	"strings"
	"testing"

	"github.com/sluicedata/sluice/sdk"
)

// Each test here fails if the option it is about is ignored: the outcome
// with one setting differs from the outcome with another.

const peopleMapping = `
mapping {
  firstname     = "first"
  lastname      = "last ?? 'Unknown'"
  emailaddress1 = "email ?? ''"
  jobtitle      = "title ?? ''"
}
`

// TestMatchRuleOrder: the first rule that finds a record decides.
func TestMatchRuleOrder(t *testing.T) {
	e := newMatchEnv(t)
	e.insert("contact", "by_email", map[string]any{"lastname": "A", "emailaddress1": "x@example.com", "sluice_externalid": "E1"})
	e.insert("contact", "by_id", map[string]any{"lastname": "B", "sluice_externalid": "E2"})
	row := person("E2", "x@example.com", "X", "Y", "", "T", "", 0)
	for _, tc := range []struct {
		rules, want string
	}{
		{`rule "id" { equals = { sluice_externalid = "ext" } }
		  rule "email" { equals = { emailaddress1 = "email" } }`, "by_id"},
		{`rule "email" { equals = { emailaddress1 = "email" } }
		  rule "id" { equals = { sluice_externalid = "ext" } }`, "by_email"},
	} {
		plans := e.plan(people, `table = "contact"
match {
  `+tc.rules+`
}`+peopleMapping, row)
		e.expectAction(plans[0], sdk.PlanUpdate, tc.want)
	}
}

// TestMatchOnMatch: update, skip, create anyway, reject.
func TestMatchOnMatch(t *testing.T) {
	for _, tc := range []struct {
		onMatch  string
		check    func(e *matchEnv, res sdk.WriteResult)
		contacts int
	}{
		{"update", func(e *matchEnv, res sdk.WriteResult) {
			if res.Updated != 1 || e.record("contact", "ann")["jobtitle"] != "CEO" {
				t.Errorf("update: %+v, jobtitle %v", res, e.record("contact", "ann")["jobtitle"])
			}
		}, 1},
		{"skip", func(e *matchEnv, res sdk.WriteResult) {
			if res.Skipped != 1 || e.record("contact", "ann")["jobtitle"] != "CTO" || e.writesSent() != 0 {
				t.Errorf("skip: %+v, jobtitle %v, %d writes", res, e.record("contact", "ann")["jobtitle"], e.writesSent())
			}
		}, 1},
		{"create", func(e *matchEnv, res sdk.WriteResult) {
			if res.Created != 1 || e.record("contact", "ann")["jobtitle"] != "CTO" {
				t.Errorf("create: %+v", res)
			}
		}, 2},
		{"reject", func(e *matchEnv, res sdk.WriteResult) {
			if len(res.Rejects) != 1 || res.Rejects[0].Code != "dynamics.matched" || !strings.Contains(res.Rejects[0].Message, e.ids["ann"]) {
				t.Errorf("reject: %+v", res)
			}
		}, 1},
	} {
		t.Run(tc.onMatch, func(t *testing.T) {
			e := newMatchEnv(t)
			// No alternate key on email: on_match = "create" makes a
			// deliberate duplicate.
			e.insert("contact", "ann", map[string]any{"lastname": "Lee", "emailaddress2": "ann@example.com", "jobtitle": "CTO"})
			s := e.sink(people, `table = "contact"
match {
  rule "email" { equals = { emailaddress2 = "email" } }
  on_match = "`+tc.onMatch+`"
}
mapping {
  lastname      = "last"
  emailaddress2 = "email"
  jobtitle      = "title"
}`)
			e.srv.ResetRequestLog()
			res := e.write(s, people, person("", "ann@example.com", "Ann", "Lee", "", "CEO", "", 0))
			tc.check(e, res)
			if n := e.count("contact"); n != tc.contacts {
				t.Errorf("%d contacts, want %d", n, tc.contacts)
			}
		})
	}
}

// TestMatchOnMultiple: which of several records a row updates.
func TestMatchOnMultiple(t *testing.T) {
	e := newMatchEnv(t)
	// Inserted (so modified) in the order a, b, c, d; created on other days.
	for _, r := range []struct{ name, created string }{{"a", "2022-01-01"}, {"b", "2024-01-01"}, {"c", "2020-01-01"}, {"d", "2023-01-01"}} {
		e.insert("contact", r.name, map[string]any{"firstname": "Sam", "lastname": "Smith", "overriddencreatedon": r.created})
	}
	row := person("", "", "Sam", "Smith", "", "T", "", 0)
	for _, tc := range []struct{ policy, want string }{
		{"most_recently_modified", "d"}, {"least_recently_modified", "a"},
		{"most_recently_created", "b"}, {"least_recently_created", "c"},
	} {
		plans := e.plan(people, `table = "contact"
match {
  rule "name" { equals = { firstname = "first", lastname = "last" } }
  on_multiple = "`+tc.policy+`"
}`+peopleMapping, row)
		e.expectAction(plans[0], sdk.PlanUpdate, tc.want)
	}
	plans := e.plan(people, `table = "contact"
match {
  rule "name" { equals = { firstname = "first", lastname = "last" } }
}`+peopleMapping, row)
	p := plans[0]
	if p.Action != sdk.PlanReject || p.Code != "dynamics.ambiguous" {
		t.Fatalf("on_multiple defaults to reject; got %s %s", p.Action, p.Code)
	}
	for _, n := range []string{"a", "b", "c", "d"} {
		if !strings.Contains(p.Reason, e.ids[n]) {
			t.Errorf("the reject does not list candidate %s: %s", n, p.Reason)
		}
	}
}

// TestMatchOnNone: create (in the sink's table or create_as), skip, reject.
func TestMatchOnNone(t *testing.T) {
	e := newMatchEnv(t)
	body := func(onNone, extra string) string {
		return `table = "lead"
match {
  tables = ["contact", "lead"]
  rule "email" { equals = { emailaddress1 = "email" } }
  on_none = "` + onNone + `"
  ` + extra + `
}
mapping {
  firstname     = "first"
  lastname      = "last"
  emailaddress1 = "email"
  subject       = "'Web form'"
}`
	}
	row := func(email string) []any { return person("", email, "New", "Person", "", "", "", 0) }
	if res := e.write(e.sink(people, body("create", "")), people, row("a@example.com")); res.Created != 1 || e.count("lead") != 1 || e.count("contact") != 0 {
		t.Errorf("create: %+v, %d leads, %d contacts", res, e.count("lead"), e.count("contact"))
	}
	// subject is not a contact column: contacts get the others.
	if res := e.write(e.sink(people, body("create", `create_as = "contact"`)), people, row("b@example.com")); res.Created != 1 || e.count("contact") != 1 {
		t.Errorf("create_as contact: %+v, %d contacts", res, e.count("contact"))
	}
	if res := e.write(e.sink(people, body("skip", "")), people, row("c@example.com")); res.Skipped != 1 || e.count("lead") != 1 {
		t.Errorf("skip: %+v", res)
	}
	if res := e.write(e.sink(people, body("reject", "")), people, row("c@example.com")); len(res.Rejects) != 1 || res.Rejects[0].Code != "dynamics.no_match" {
		t.Errorf("reject: %+v", res)
	}
	// The rows created are found the next time.
	if res := e.write(e.sink(people, body("reject", "")), people, row("a@example.com"), row("b@example.com")); res.Unchanged != 2 {
		t.Errorf("again: %+v", res)
	}
}

// TestMatchTables: the order of tables, and whether rules or tables come
// first.
func TestMatchTables(t *testing.T) {
	e := newMatchEnv(t)
	e.insert("contact", "contact", map[string]any{"firstname": "Dee", "lastname": "Both", "emailaddress1": "dee@example.com"})
	e.insert("lead", "lead", map[string]any{"subject": "s", "firstname": "Dee", "lastname": "Both", "emailaddress1": "dee@example.com"})
	row := person("", "dee@example.com", "Dee", "Both", "", "T", "", 0)
	for _, tc := range []struct{ tables, want string }{{`["contact", "lead"]`, "contact"}, {`["lead", "contact"]`, "lead"}} {
		plans := e.plan(people, `table = "contact"
match {
  tables = `+tc.tables+`
  rule "email" { equals = { emailaddress1 = "email" } }
}`+peopleMapping, row)
		e.expectAction(plans[0], sdk.PlanUpdate, tc.want)
	}
	// A contact found by name only, a lead by email: by rules, the email
	// rule finds the lead first; by tables, contacts are searched first
	// with every rule.
	e.insert("contact", "kim_contact", map[string]any{"firstname": "Kim", "lastname": "Park"})
	e.insert("lead", "kim_lead", map[string]any{"subject": "s", "firstname": "Kim", "lastname": "Park", "emailaddress1": "kim@example.com"})
	row = person("", "kim@example.com", "Kim", "Park", "", "T", "", 0)
	for _, tc := range []struct{ search, want string }{{"rules", "kim_lead"}, {"tables", "kim_contact"}} {
		plans := e.plan(people, `table = "contact"
match {
  tables = ["contact", "lead"]
  search = "`+tc.search+`"
  rule "email" { equals = { emailaddress1 = "email" } }
  rule "name" { equals = { firstname = "first", lastname = "last" } }
}`+peopleMapping, row)
		e.expectAction(plans[0], sdk.PlanUpdate, tc.want)
	}
}

// TestMatchUpdatePolicies: overwrite, if_empty, never, per field and as
// the merge block's default.
func TestMatchUpdatePolicies(t *testing.T) {
	e := newMatchEnv(t)
	e.insert("contact", "ann", map[string]any{"firstname": "Ann", "lastname": "Lee", "emailaddress1": "ann@example.com", "jobtitle": "CTO", "department": "Old"})
	s := e.sink(people, `table = "contact"
match {
  rule "email" { equals = { emailaddress1 = "email" } }
}
merge {
  update = "if_empty"
}
mapping {
  emailaddress1 = "email"
  lastname   = { value = "last", update = "overwrite" }
  jobtitle   = "title"
  telephone1 = "phone"
  department = { value = "company", update = "never" }
}`)
	res := e.write(s, people, person("", "ann@example.com", "Ann", "Lee-Smith", "New", "CEO", "555", 0),
		person("", "new@example.com", "Neo", "New", "Dept", "Dev", "777", 0))
	if res.Updated != 1 || res.Created != 1 {
		t.Fatalf("%+v", res)
	}
	ann := e.record("contact", "ann")
	for col, want := range map[string]any{"lastname": "Lee-Smith", "jobtitle": "CTO", "telephone1": "555", "department": "Old"} {
		if ann[col] != want {
			t.Errorf("ann.%s = %v, want %v", col, ann[col], want)
		}
	}
	recs := records(t, e.srv, "contact", "emailaddress1")
	if neo := recs["new@example.com"]; neo["department"] != "Dept" || neo["jobtitle"] != "Dev" {
		t.Errorf("a new record gets never and if_empty fields too: %v", neo)
	}
}

// TestMatchEmptyValues: empty values are skipped by default (a CRM value is
// never blanked out), written when asked, per sink and per field.
func TestMatchEmptyValues(t *testing.T) {
	rows := [][]any{{nil, "ann@example.com", "Ann", "Lee", nil, nil, "", 0}} // title null, phone ""
	for _, tc := range []struct {
		name, merge, phone string
		title, tel         any
	}{
		{"skip by default", "", `telephone1 = "phone"`, "CTO", "111"},
		{"write", `merge { empty = "write" }`, `telephone1 = "phone"`, nil, nil},
		{"write one field", `merge { empty = "skip" }`, `telephone1 = { value = "phone", empty = "write" }`, "CTO", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newMatchEnv(t)
			e.insert("contact", "ann", map[string]any{"firstname": "Ann", "lastname": "Lee", "emailaddress1": "ann@example.com", "jobtitle": "CTO", "telephone1": "111"})
			s := e.sink(people, `table = "contact"
match {
  rule "email" { equals = { emailaddress1 = "email" } }
}
`+tc.merge+`
mapping {
  firstname = "first"
  lastname  = "last"
  jobtitle  = "title"
  `+tc.phone+`
}`)
			e.write(s, people, rows...)
			ann := e.record("contact", "ann")
			if ann["jobtitle"] != tc.title || ann["telephone1"] != tc.tel {
				t.Errorf("jobtitle %v, telephone1 %v; want %v, %v", ann["jobtitle"], ann["telephone1"], tc.title, tc.tel)
			}
		})
	}
}

// TestMatchDefaultsAndHierarchy: a default fills an empty field of a new
// record, never an existing value; a hierarchy takes the first non-empty
// candidate, skipping empty text as well as nulls.
func TestMatchDefaultsAndHierarchy(t *testing.T) {
	e := newMatchEnv(t)
	e.insert("contact", "ann", map[string]any{"firstname": "Ann", "lastname": "Lee", "emailaddress1": "ann@example.com"})
	schema := schemaOf(col{"email", text}, col{"last", text}, col{"direct", text}, col{"mobile", text}, col{"office", text})
	s := e.sink(schema, `table = "contact"
match {
  rule "email" { equals = { emailaddress1 = "email" } }
}
mapping {
  emailaddress1 = "email"
  lastname      = { value = "last", default = "'Unknown'" }
  telephone1    = ["direct", "trim(mobile)", "office"]
}`)
	res := e.write(s, schema,
		[]any{"ann@example.com", nil, "  ", nil, "333"}, // direct blank, mobile null (trim fails): office
		[]any{"new@example.com", nil, "", "222 ", "333"},
	)
	if res.Updated != 1 || res.Created != 1 {
		t.Fatalf("%+v", res)
	}
	recs := records(t, e.srv, "contact", "emailaddress1")
	if ann := recs["ann@example.com"]; ann["lastname"] != "Lee" || ann["telephone1"] != "333" {
		t.Errorf("ann: lastname %v (the default must not replace it), telephone1 %v", ann["lastname"], ann["telephone1"])
	}
	if neo := recs["new@example.com"]; neo["lastname"] != "Unknown" || neo["telephone1"] != "222" {
		t.Errorf("new: lastname %v, telephone1 %v", neo["lastname"], neo["telephone1"])
	}
}

// TestMatchUnchanged: rows whose values the records hold already send
// nothing and count as unchanged.
func TestMatchUnchanged(t *testing.T) {
	e := newMatchEnv(t)
	body := `table = "contact"
match {
  rule "email" { equals = { emailaddress1 = "email" } }
}` + peopleMapping
	rows := [][]any{person("", "a@example.com", "A", "One", "", "T", "", 0), person("", "b@example.com", "B", "Two", "", "", "", 0)}
	if res := e.write(e.sink(people, body), people, rows...); res.Created != 2 {
		t.Fatalf("first run: %+v", res)
	}
	e.srv.ResetRequestLog()
	res := e.write(e.sink(people, body), people, rows...)
	if res.Unchanged != 2 || res.Updated+res.Created != 0 {
		t.Errorf("second run: %+v, want 2 unchanged", res)
	}
	if n := e.writesSent(); n != 0 {
		t.Errorf("the second run sent %d writes", n)
	}
	rows[1][5] = "Boss"
	res = e.write(e.sink(people, body), people, rows...)
	if res.Unchanged != 1 || res.Updated != 1 {
		t.Errorf("third run: %+v, want 1 unchanged and 1 updated", res)
	}
}

// TestMatchKeep: rows of one run that resolve to the same record, in one
// batch or in several, are collapsed by keep and order_by.
func TestMatchKeep(t *testing.T) {
	rows := [][]any{
		person("", "ann@example.com", "Ann", "Lee", "", "first", "", 3),
		person("", "ANN@example.com", "Ann", "Lee", "", "second", "", 1),
		person("", "ann@example.com", "Ann", "Lee", "", "third", "", 2),
	}
	for _, tc := range []struct{ keep, order, want string }{
		{"last", "", "third"}, {"first", "", "first"}, {"last", "rank", "first"}, {"first", "rank", "second"},
	} {
		t.Run(tc.keep+"/"+tc.order, func(t *testing.T) {
			e := newMatchEnv(t)
			order := ""
			if tc.order != "" {
				order = `order_by = "` + tc.order + `"`
			}
			body := `table = "contact"
match {
  rule "email" { equals = { emailaddress1 = "lower(email)" } }
  keep = "` + tc.keep + `"
  ` + order + `
}
mapping {
  lastname      = "last"
  emailaddress1 = "lower(email)"
  jobtitle      = "title"
}`
			// In one batch: the new record is created once.
			s := e.sink(people, body)
			res := e.write(s, people, rows...)
			if res.Created != 1 || res.Deduplicated != 2 {
				t.Errorf("one batch: %+v", res)
			}
			got := records(t, e.srv, "contact", "emailaddress1")["ann@example.com"]["jobtitle"]
			if got != tc.want {
				t.Errorf("one batch: jobtitle %v, want %s", got, tc.want)
			}
			// In three batches of one run: the same.
			if err := e.srv.Reset(); err != nil {
				t.Fatal(err)
			}
			s = e.sink(people, body)
			var total sdk.WriteResult
			for _, r := range rows {
				res := e.write(s, people, r)
				total.Created += res.Created
				total.Updated += res.Updated
				total.Deduplicated += res.Deduplicated
			}
			if e.count("contact") != 1 || total.Created != 1 {
				t.Errorf("three batches: %d contacts, %+v", e.count("contact"), total)
			}
			got = records(t, e.srv, "contact", "emailaddress1")["ann@example.com"]["jobtitle"]
			if got != tc.want {
				t.Errorf("three batches: jobtitle %v, want %s", got, tc.want)
			}
		})
	}
}

// TestMatchKeepReason: a deduplicated row's reason names what chose the
// row written — order_by when the rows' order_by values differ, keep's
// input order when there is no order_by or the values are the same — in a
// batch and across the batches of a run.
func TestMatchKeepReason(t *testing.T) {
	e := newMatchEnv(t)
	for _, tc := range []struct {
		keep, order string
		ranks       []int
		want        []string // the reason of each deduplicated row ("" for the row written)
	}{
		{"last", "", []int{3, 1}, []string{`kept by keep = "last"`, ""}},
		{"last", "rank", []int{3, 1}, []string{"", `kept by order_by = "rank" (keep = "last": the greatest wins)`}},
		{"first", "rank", []int{3, 1}, []string{`kept by order_by = "rank" (keep = "first": the least wins)`, ""}},
		{"last", "rank", []int{2, 2}, []string{`kept by keep = "last": their order_by = "rank" is the same, so input order decides`, ""}},
		{"first", "", []int{3, 1}, []string{"", `kept by keep = "first"`}},
		{"first", "rank", []int{2, 2}, []string{"", `kept by keep = "first": their order_by = "rank" is the same, so input order decides`}},
	} {
		order := ""
		if tc.order != "" {
			order = `order_by = "` + tc.order + `"`
		}
		body := `table = "contact"
match {
  rule "email" { equals = { emailaddress1 = "lower(email)" } }
  keep = "` + tc.keep + `"
  ` + order + `
}
mapping {
  lastname      = "last"
  emailaddress1 = "lower(email)"
}`
		rows := [][]any{person("", "ann@example.com", "Ann", "Lee", "", "", "", tc.ranks[0]), person("", "ANN@example.com", "Ann", "Lee", "", "", "", tc.ranks[1])}
		check := func(where string, i int, p sdk.RowPlan) {
			t.Helper()
			switch {
			case tc.want[i] == "" && p.Action == sdk.PlanDeduplicated:
				t.Errorf("keep = %s, order_by = %q, %s: row %d is deduplicated (%s), want it written", tc.keep, tc.order, where, i, p.Reason)
			case tc.want[i] != "" && (p.Action != sdk.PlanDeduplicated || !strings.HasSuffix(p.Reason, ", "+tc.want[i])):
				t.Errorf("keep = %s, order_by = %q, %s: row %d: %s %q, want deduplicated, %s", tc.keep, tc.order, where, i, p.Action, p.Reason, tc.want[i])
			case tc.want[i] != "" && tc.order == "" && strings.Contains(p.Reason, "order_by"):
				t.Errorf("keep = %s, %s: row %d: %q names order_by, which the sink does not have", tc.keep, where, i, p.Reason)
			}
		}
		// One batch.
		for i, p := range e.plan(people, body, rows...) {
			check("one batch", i, p)
		}
		// Two batches of one plan: the second row meets the first's claim.
		s := e.sink(people, body)
		for i, row := range rows {
			rec := record(e.host.Mem, people, row)
			plans, err := s.Plan(context.Background(), rec)
			rec.Release()
			if err != nil {
				t.Fatal(err)
			}
			if i == 1 && tc.want[0] == "" {
				check("two batches", 1, plans[0])
			}
		}
	}
}

// TestMatchCompare: case_insensitive finds what exact does not; domain
// compares web addresses by host name, and contains() finds no decoy.
func TestMatchCompare(t *testing.T) {
	e := newMatchEnv(t)
	e.insert("contact", "lee", map[string]any{"firstname": "Ann", "lastname": "lee"})
	row := person("", "", "Ann", "Lee", "", "T", "", 0)
	for _, tc := range []struct {
		compare string
		want    sdk.PlanAction
	}{{"case_insensitive", sdk.PlanUpdate}, {"exact", sdk.PlanSkip}} {
		plans := e.plan(people, `table = "contact"
match {
  rule "name" {
    equals  = { firstname = "first", lastname = "last" }
    compare = "`+tc.compare+`"
  }
  on_none = "skip"
}`+peopleMapping, row)
		if plans[0].Action != tc.want {
			t.Errorf("compare = %s: %s, want %s", tc.compare, plans[0].Action, tc.want)
		}
	}

	e.insert("account", "acme", map[string]any{"name": "Acme", "websiteurl": "https://www.Acme.com/about"})
	e.insert("account", "notacme", map[string]any{"name": "Not Acme", "websiteurl": "https://notacme.com"})
	e.insert("account", "acme_co", map[string]any{"name": "Acme Co", "websiteurl": "acme.co"})
	web := schemaOf(col{"website", text}, col{"name", text})
	for _, tc := range []struct{ website, want string }{
		{"acme.com", "acme"}, {"sales@ACME.com", "acme"}, {"http://acme.co:8080/x", "acme_co"}, {"cme.com", ""},
	} {
		plans := e.plan(web, `table = "account"
match {
  rule "web" {
    equals  = { websiteurl = "website" }
    compare = "domain"
  }
  on_none = "skip"
}
mapping {
  description = "'seen'"
}`, []any{tc.website, "x"})
		if tc.want == "" {
			if plans[0].Action != sdk.PlanSkip {
				t.Errorf("%s matches %s", tc.website, e.name(plans[0].Record))
			}
			continue
		}
		e.expectAction(plans[0], sdk.PlanUpdate, tc.want)
	}
}

// TestMatchMaxRecords: max_records counts the rows a match writes; the rest
// are skipped.
func TestMatchMaxRecords(t *testing.T) {
	e := newMatchEnv(t)
	s := e.sink(people, `table = "contact"
max_records = 2
match {
  rule "email" { equals = { emailaddress1 = "email" } }
}`+peopleMapping)
	res := e.write(s, people, person("", "a@example.com", "", "A", "", "", "", 0), person("", "b@example.com", "", "B", "", "", "", 0),
		person("", "c@example.com", "", "C", "", "", "", 0))
	if res.Created != 2 || res.Skipped != 1 || e.count("contact") != 2 {
		t.Errorf("%+v, %d contacts", res, e.count("contact"))
	}
}
