package dynamics_test

import (
	"fmt"
	"testing"

	"github.com/sluicedata/sluice/plugins/internal/testhost"
)

func TestUpsertByAlternateKeyCreatesAndUpdates(t *testing.T) {
	srv := startEmulator(t)
	host := testhost.New(t)
	if _, err := srv.Insert(t.Context(), "contact", map[string]any{"emailaddress1": "old@example.com", "firstname": "Old", "lastname": "Name"}); err != nil {
		t.Fatal(err)
	}
	schema := schemaOf(col{"email", text}, col{"first", text}, col{"last", text})
	s := open(t, host, schema, connection(srv)+`
table     = "contact"
key       = { emailaddress1 = "lower(trim(email))" }
mapping {
  firstname = "first"
  lastname  = "last ?? 'Unknown'"
  preferredcontactmethodcode = "'Email'"
}
`)
	res := write(t, s, record(host.Mem, schema,
		[]any{" OLD@example.com", "New", nil},
		[]any{"ada@example.com", "Ada", "Lovelace"},
		[]any{"a+b@example.com", "Plus", "Sign"},
		[]any{nil, "No", "Email"},
	))
	if len(res.Rejects) != 1 || res.Rejects[0].Row != 3 {
		t.Fatalf("rejects %+v", res.Rejects)
	}
	got := records(t, srv, "contact", "emailaddress1")
	if len(got) != 3 {
		t.Fatalf("%d contacts: %v", len(got), got)
	}
	if r := got["old@example.com"]; r["firstname"] != "New" || r["lastname"] != "Unknown" {
		t.Errorf("old: %v", r)
	}
	if r := got["ada@example.com"]; r["firstname"] != "Ada" || fmt.Sprint(r["preferredcontactmethodcode"]) != "2" {
		t.Errorf("ada: %v", r)
	}
	if r := got["a+b@example.com"]; r["firstname"] != "Plus" {
		t.Errorf("a+b: %v", r)
	}
	t.Logf("%+v", s.Stats())
}
