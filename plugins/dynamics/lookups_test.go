package dynamics_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/sluicedata/sluice/plugins/dynamics/emulator"
	"github.com/sluicedata/sluice/plugins/internal/testhost"
)

// lookupTarget reads which table a contact's lookup points to, through the
// Web API's lookuplogicalname annotation.
func lookupTarget(t *testing.T, srv *emulator.Server, contactID, column string) (string, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, srv.WebAPIURL()+"/contacts("+contactID+")?$select=_"+column+"_value", nil)
	req.Header.Set("Authorization", "Bearer "+srv.Token())
	req.Header.Set("Prefer", `odata.include-annotations="Microsoft.Dynamics.CRM.lookuplogicalname"`)
	resp, err := srv.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	id, _ := doc["_"+column+"_value"].(string)
	table, _ := doc["_"+column+"_value@Microsoft.Dynamics.CRM.lookuplogicalname"].(string)
	return table, id
}

func TestLookupsByKeyIdAndPolymorphicTargets(t *testing.T) {
	srv := startEmulator(t)
	host := testhost.New(t)
	accounts := seedAccounts(t, srv, 3)
	special, err := srv.Insert(t.Context(), "account", map[string]any{"name": "Special", "accountnumber": "A/B+1"})
	if err != nil {
		t.Fatal(err)
	}
	boss, err := srv.Insert(t.Context(), "contact", map[string]any{"lastname": "Boss", "emailaddress1": "boss@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	teams, err := srv.Records("team")
	if err != nil || len(teams) == 0 {
		t.Fatalf("teams: %v %v", teams, err)
	}
	teamID := fmt.Sprint(teams[0]["teamid"])
	userID := srv.SystemUserID(srv.ClientID)

	schema := schemaOf(col{"email", text}, col{"account", text}, col{"parent", text}, col{"team", text}, col{"user", text})
	s := open(t, host, schema, connection(srv)+`
table = "contact"
key   = { emailaddress1 = "email" }
mapping {
  lastname         = "email"
  parentcustomerid = { lookup = "account", by = { accountnumber = "account" } }
  ownerid          = { lookup = "team", id = "team" }
}
`)
	res := write(t, s, record(host.Mem, schema,
		[]any{"a@example.com", "ACC1", nil, teamID, nil},
		[]any{"b@example.com", "A/B+1", nil, nil, nil},
		[]any{"c@example.com", "NOPE", nil, nil, nil},
		[]any{"d@example.com", "NO/PE", nil, nil, nil},
		[]any{"e@example.com", nil, nil, "not-a-guid", nil},
	))
	rejects := rejectsByRow(res.Rejects)
	if len(rejects) != 3 || rejects[2].Code != "0x80040217" || rejects[3].Code != "dynamics.lookup" || rejects[4].Code != "dynamics.lookup" {
		t.Fatalf("rejects %+v", res.Rejects)
	}
	mustContain(t, "missing account", rejects[3].Message, "no account has accountnumber = 'NO/PE'")
	got := records(t, srv, "contact", "emailaddress1")
	if tbl, id := lookupTarget(t, srv, fmt.Sprint(got["a@example.com"]["contactid"]), "parentcustomerid"); tbl != "account" || id != accounts["ACC1"] {
		t.Errorf("a's company: %s %s, want account %s", tbl, id, accounts["ACC1"])
	}
	if tbl, id := lookupTarget(t, srv, fmt.Sprint(got["a@example.com"]["contactid"]), "ownerid"); tbl != "team" || id != teamID {
		t.Errorf("a's owner: %s %s, want team %s", tbl, id, teamID)
	}
	if _, id := lookupTarget(t, srv, fmt.Sprint(got["b@example.com"]["contactid"]), "parentcustomerid"); id != special[0] {
		t.Errorf("b's company %s, want the account whose number holds / and + (%s)", id, special[0])
	}
	if _, id := lookupTarget(t, srv, fmt.Sprint(got["b@example.com"]["contactid"]), "ownerid"); id != userID {
		t.Errorf("b has no owner given, so it keeps the default owner: %s, want %s", id, userID)
	}

	// The other target of the polymorphic lookup, and the other owner type.
	s2 := open(t, host, schema, connection(srv)+`
table = "contact"
key   = { emailaddress1 = "email" }
mapping {
  parentcustomerid = { lookup = "contact", by = { emailaddress1 = "parent" } }
  ownerid          = { lookup = "systemuser", id = "user" }
}
`)
	res = write(t, s2, record(host.Mem, schema, []any{"a@example.com", nil, "boss@example.com", nil, userID}))
	if len(res.Rejects) > 0 {
		t.Fatalf("rejects %+v", res.Rejects)
	}
	a := fmt.Sprint(got["a@example.com"]["contactid"])
	if tbl, id := lookupTarget(t, srv, a, "parentcustomerid"); tbl != "contact" || id != boss[0] {
		t.Errorf("a's parent: %s %s, want contact %s", tbl, id, boss[0])
	}
	if tbl, id := lookupTarget(t, srv, a, "ownerid"); tbl != "systemuser" || id != userID {
		t.Errorf("a's owner: %s %s, want systemuser %s", tbl, id, userID)
	}
}

func TestNullLookupLeavesOrClearsTheReference(t *testing.T) {
	srv := startEmulator(t)
	host := testhost.New(t)
	accounts := seedAccounts(t, srv, 1)
	if _, err := srv.Insert(t.Context(), "contact", map[string]any{"lastname": "X", "emailaddress1": "x@example.com",
		"parentcustomerid_account@odata.bind": "/accounts(" + accounts["ACC0"] + ")"}); err != nil {
		t.Fatal(err)
	}
	schema := schemaOf(col{"email", text}, col{"account", text})
	upsert := open(t, host, schema, connection(srv)+`
table = "contact"
key   = { emailaddress1 = "email" }
mapping {
  parentcustomerid = { lookup = "account", by = { accountnumber = "account" } }
}
`)
	write(t, upsert, record(host.Mem, schema, []any{"x@example.com", nil}))
	if r := records(t, srv, "contact", "emailaddress1")["x@example.com"]; r["_parentcustomerid_value"] != accounts["ACC0"] {
		t.Errorf("an upsert with a null lookup changed it: %v", r["_parentcustomerid_value"])
	}
	update := open(t, host, schema, connection(srv)+`
table     = "contact"
operation = "update"
key       = { emailaddress1 = "email" }
mapping {
  parentcustomerid = { lookup = "account", by = { accountnumber = "account" } }
}
`)
	write(t, update, record(host.Mem, schema, []any{"x@example.com", nil}))
	if r := records(t, srv, "contact", "emailaddress1")["x@example.com"]; r["_parentcustomerid_value"] != nil {
		t.Errorf("an update with a null lookup did not clear it: %v", r["_parentcustomerid_value"])
	}
}
