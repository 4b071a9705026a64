package dynamics_test

import (
	"context"
	"strings"
	"testing"
)

// TestMappingTestAccount: test-mapping with an account block tests the
// association with the account its rules find, and creates no account: a
// row naming an account nobody has gets a note instead. Either way the test
// record is deleted, and nothing else is left behind.
func TestMappingTestAccount(t *testing.T) {
	e := newMatchEnv(t)
	e.insert("account", "acme", map[string]any{"name": "Acme"})
	s := e.sink(people, contactsWithAccount(`on_none = "create"
  create = { name = "company" }`))
	for _, tc := range []struct {
		company string
		assoc   string // the account the test record is associated with, "" for none
		note    string
	}{{"Acme", e.ids["acme"], ""}, {"Initech", "", "parentcustomerid is not tested: no account matches name = 'Initech'"}} {
		t.Run(tc.company, func(t *testing.T) {
			rec := record(e.host.Mem, people, person("", "ann@example.com", "", "Lee", tc.company, "", "", 0))
			defer rec.Release()
			test, err := s.TestMapping(context.Background(), rec)
			if err != nil {
				t.Fatal(err)
			}
			if !test.Removed || test.Table != "contact" {
				t.Errorf("%+v: want a contact, removed", test)
			}
			var assoc string
			for _, f := range test.Fields {
				if !f.OK {
					t.Errorf("%s did not round-trip: sent %v, stored %v", f.Field, f.Sent, f.Stored)
				}
				if f.Field == "parentcustomerid" {
					assoc = f.Sent.(string)
					if f.Stored != f.Sent {
						t.Errorf("parentcustomerid stored %v, sent %v", f.Stored, f.Sent)
					}
				}
			}
			if assoc != tc.assoc {
				t.Errorf("the test associated %q (%s), want %q", assoc, e.name(assoc), tc.assoc)
			}
			if got := strings.Join(test.Notes, "; "); (tc.note == "") != (got == "") || !strings.Contains(got, tc.note) {
				t.Errorf("notes %q, want %q", got, tc.note)
			}
			if n := e.count("contact"); n != 0 {
				t.Errorf("%d contacts left behind", n)
			}
			if n := e.count("account"); n != 1 {
				t.Errorf("%d accounts: a mapping test creates none", n)
			}
		})
	}
}

// TestMappingTestDefaultAccount: with on_none = "default", a test row whose
// company matches no account is associated with the default account; a
// default account that does not exist leaves the association untested,
// with a note saying why.
func TestMappingTestDefaultAccount(t *testing.T) {
	e := newMatchEnv(t)
	e.insert("account", "house", map[string]any{"name": "House accounts", "accountnumber": "HOUSE"})
	for _, tc := range []struct {
		number string
		assoc  string
		note   string
	}{{"HOUSE", e.ids["house"], ""}, {"NOPE", "", "parentcustomerid is not tested: no account matches name = 'Initech', and the default account (accountnumber = 'NOPE') does not exist"}} {
		s := e.sink(people, contactsWithAccount(`on_none = "default"
  default = { accountnumber = "'`+tc.number+`'" }`))
		rec := record(e.host.Mem, people, person("", "ann@example.com", "", "Lee", "Initech", "", "", 0))
		test, err := s.TestMapping(context.Background(), rec)
		rec.Release()
		if err != nil {
			t.Fatal(err)
		}
		var assoc string
		for _, f := range test.Fields {
			if f.Field == "parentcustomerid" {
				assoc = f.Sent.(string)
				if !f.OK {
					t.Errorf("parentcustomerid stored %v, sent %v", f.Stored, f.Sent)
				}
			}
		}
		if got := strings.Join(test.Notes, "; "); assoc != tc.assoc || got != tc.note {
			t.Errorf("default %s: associated %q, notes %q; want %q, %q", tc.number, assoc, got, tc.assoc, tc.note)
		}
		if !test.Removed || e.count("contact") != 0 || e.count("account") != 1 {
			t.Errorf("default %s: %+v; %d contacts, %d accounts left", tc.number, test, e.count("contact"), e.count("account"))
		}
	}
}
