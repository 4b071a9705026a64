package dynamics_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/sluicedata/sluice/sdk"
)

// trickyNames are names whose characters mean something in a URL, an OData
// literal or In's JSON array, each with a decoy: the record a query that
// mishandled the character would find instead (or as well).
var trickyNames = []struct{ name, decoy string }{
	{"O'Neil", "O"},
	{"Tom & Jerry", "Tom "},
	{"#1 Tacos", "x"},
	{`"Q" Branch`, "Q"},
	{"50% Off", "50"},
	{"a+b", "a b"},
	{"x/y?z=1", "x"},
	{`C:\dir`, "C:"},
	{"Zoë", "Zo"},
	{"semi;colon,comma", "semi"},
	{"paren (x) [y]", "paren "},
	{"eq 'x' or 1 eq 1", "eq "},
	{`\"Both'`, `\`},
}

// TestMatchEscaping: a quote, an ampersand, a # (and other characters that
// mean something in a URL or a filter) in a matched value neither break
// the lookup nor change what it finds, by the In form, by or-chains, and
// inside $batch.
func TestMatchEscaping(t *testing.T) {
	e := newMatchEnv(t)
	for i, n := range trickyNames {
		e.insert("contact", n.name, map[string]any{"firstname": "F", "lastname": n.name, "jobtitle": "old"})
		e.insert("contact", fmt.Sprintf("decoy %d", i), map[string]any{"firstname": "F", "lastname": n.decoy, "jobtitle": "old"})
	}
	var rows [][]any
	for _, n := range trickyNames {
		rows = append(rows, person("", "", "F", n.name, "", "new", "", 0))
	}
	// Names no record has, which a broken query could still match.
	unknown := []string{"O'", "Tom &", "#", `"`, "%", "+"}
	for _, u := range unknown {
		rows = append(rows, person("", "", "F", u, "", "new", "", 0))
	}
	withFiller := append([][]any(nil), rows...)
	for i := range 900 {
		withFiller = append(withFiller, person("", "", "F", fmt.Sprintf("filler name number %04d that makes the filter long", i), "", "new", "", 0))
	}
	for _, tc := range []struct{ name, rule string }{
		{"In", `rule "last" { equals = { lastname = "last" } }`},
		{"or", `rule "name" { equals = { firstname = "first", lastname = "last" } }`},
	} {
		for _, input := range []struct {
			name  string
			rows  [][]any
			batch bool
		}{{"one GET", rows, false}, {"$batch", withFiller, true}} {
			t.Run(tc.name+"/"+input.name, func(t *testing.T) {
				e.srv.ResetRequestLog()
				plans := e.plan(people, `table = "contact"
match {
  `+tc.rule+`
  on_none = "skip"
}
mapping {
  jobtitle = "title"
}`, input.rows...)
				for i, n := range trickyNames {
					e.expectAction(plans[i], sdk.PlanUpdate, n.name)
				}
				for i := range unknown {
					if p := plans[len(trickyNames)+i]; p.Action != sdk.PlanSkip {
						t.Errorf("%q matches %s (%s)", unknown[i], e.name(p.Record), p.Action)
					}
				}
				batched := false
				for _, l := range e.srv.RequestLog() {
					if l.Status >= 400 {
						t.Errorf("%s %s: %d %s", l.Method, l.Path, l.Status, l.Error)
					}
					batched = batched || l.InBatch && l.Operation == "query"
				}
				if batched != input.batch {
					t.Errorf("lookups in $batch: %v, want %v", batched, input.batch)
				}
			})
		}
	}
}

// TestMatchRequestsPerBatch: lookups cost a request per rule and batch,
// whatever the number of rows. 10,000 rows against 10,000 contacts, by
// email, then by name for the rows whose email is unknown.
func TestMatchRequestsPerBatch(t *testing.T) {
	e := newMatchEnv(t)
	const n, batch = 10_000, 1_000
	recs := make([]map[string]any, n)
	for i := range n {
		recs[i] = map[string]any{"firstname": fmt.Sprint("F", i), "lastname": fmt.Sprint("L", i), "emailaddress1": fmt.Sprintf("p%d@example.com", i)}
	}
	if _, err := e.srv.Insert(context.Background(), "contact", recs...); err != nil {
		t.Fatal(err)
	}
	s := e.sink(people, `table = "contact"
match {
  rule "email" { equals = { emailaddress1 = "email" } }
  rule "name"  { equals = { firstname = "first", lastname = "last" } }
}`+peopleMapping)
	e.srv.ResetRequestLog()
	updates := 0
	for b := range n / batch {
		var rows [][]any
		for i := b * batch; i < (b+1)*batch; i++ {
			email := fmt.Sprintf("p%d@example.com", i)
			if i%10 == 0 {
				email = fmt.Sprintf("changed%d@example.com", i) // found by name
			}
			rows = append(rows, person("", email, fmt.Sprint("F", i), fmt.Sprint("L", i), "", "T", "", 0))
		}
		rec := record(e.host.Mem, people, rows...)
		plans, err := s.Plan(context.Background(), rec)
		rec.Release()
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range plans {
			if p.Action != sdk.PlanUpdate {
				t.Fatalf("row %d: %s %s", p.Row, p.Action, p.Reason)
			}
			updates++
		}
	}
	requests, queries := 0, 0
	for _, l := range e.srv.RequestLog() {
		if !l.InBatch {
			requests++
		}
		if l.Operation == "query" {
			queries++
		}
		if l.Write {
			t.Errorf("a plan wrote: %s %s", l.Method, l.Path)
		}
	}
	t.Logf("%d rows, %d batches, 2 rules: %d requests, %d queries", updates, n/batch, requests, queries)
	if rules := 2; requests > rules*(n/batch) {
		t.Errorf("%d requests for %d batches and %d rules; want at most one per rule and batch", requests, n/batch, rules)
	}
	if updates != n {
		t.Errorf("%d rows planned, want %d", updates, n)
	}
}
