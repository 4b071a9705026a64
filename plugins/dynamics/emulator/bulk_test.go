package emulator_test

import (
	"net/http"
	"strings"
	"testing"
)

func typed(table string, m map[string]any) map[string]any {
	m["@odata.type"] = "Microsoft.Dynamics.CRM." + table
	return m
}

func TestCreateMultipleIsAtomicAndValidated(t *testing.T) {
	srv, c := start(t)
	r := expect(t, c.do("POST", "contacts/Microsoft.Dynamics.CRM.CreateMultiple", map[string]any{"Targets": []any{
		typed("contact", contact("A")), typed("contact", contact("B")),
	}}), http.StatusOK)
	body := r.json(t)
	if ids := body["Ids"].([]any); len(ids) != 2 || !strings.HasSuffix(body["@odata.context"].(string), "$metadata#Microsoft.Dynamics.CRM.CreateMultipleResponse") {
		t.Fatalf("%s", r.body)
	}
	// one invalid target fails the whole request with the same error a single create gets
	r = expect(t, c.do("POST", "contacts/Microsoft.Dynamics.CRM.CreateMultiple", map[string]any{"Targets": []any{
		typed("contact", contact("C")), typed("contact", map[string]any{"lastname": tooLong}),
	}}), http.StatusBadRequest)
	if code, _ := r.errorCode(t); code != "0x80044331" {
		t.Fatal(code)
	}
	// duplicate alternate key values inside one payload violate the key
	expect(t, c.do("POST", "contacts/Microsoft.Dynamics.CRM.CreateMultiple", map[string]any{"Targets": []any{
		typed("contact", map[string]any{"lastname": "D", "emailaddress1": "d@x.com"}), typed("contact", map[string]any{"lastname": "E", "emailaddress1": "D@x.com"}),
	}}), http.StatusPreconditionFailed)
	// every target needs @odata.type
	expect(t, c.do("POST", "contacts/Microsoft.Dynamics.CRM.CreateMultiple", map[string]any{"Targets": []any{contact("F")}}), http.StatusBadRequest)
	if n, _ := srv.Count("contact"); n != 2 {
		t.Fatalf("%d contacts, want 2", n)
	}
}

func TestUpdateMultiple(t *testing.T) {
	srv, c := start(t)
	ids := expect(t, c.do("POST", "contacts/Microsoft.Dynamics.CRM.CreateMultiple", map[string]any{"Targets": []any{
		typed("contact", contact("A")), typed("contact", contact("B")),
	}}), http.StatusOK).json(t)["Ids"].([]any)
	// duplicates: the first wins, later ones are ignored
	expect(t, c.do("POST", "contacts/Microsoft.Dynamics.CRM.UpdateMultiple", map[string]any{"Targets": []any{
		typed("contact", map[string]any{"contactid": ids[0], "jobtitle": "first"}),
		typed("contact", map[string]any{"contactid": ids[1], "jobtitle": "b"}),
		typed("contact", map[string]any{"contactid": ids[0], "jobtitle": "second"}),
	}}), http.StatusNoContent)
	rec, _, _ := srv.Record("contact", ids[0].(string))
	if rec["jobtitle"] != "first" {
		t.Fatalf("%v", rec)
	}
	// a missing record fails everything
	expect(t, c.do("POST", "contacts/Microsoft.Dynamics.CRM.UpdateMultiple", map[string]any{"Targets": []any{
		typed("contact", map[string]any{"contactid": ids[1], "jobtitle": "changed"}),
		typed("contact", map[string]any{"contactid": "00000000-0000-0000-0000-000000000009", "jobtitle": "x"}),
	}}), http.StatusNotFound)
	if rec, _, _ := srv.Record("contact", ids[1].(string)); rec["jobtitle"] != "b" {
		t.Fatalf("partial update: %v", rec)
	}
}

func TestUpsertMultipleByKeyIDOrKeyColumns(t *testing.T) {
	srv, c := start(t)
	upsert := func(targets ...map[string]any) *response {
		var ts []any
		for _, m := range targets {
			ts = append(ts, typed("contact", m))
		}
		return c.do("POST", "contacts/Microsoft.Dynamics.CRM.UpsertMultiple", map[string]any{"Targets": ts})
	}
	const pk = "0badc0de-0000-0000-0000-000000000001"
	expect(t, upsert(
		map[string]any{"@odata.id": "contacts(emailaddress1='a@x.com')", "lastname": "A"},
		map[string]any{"emailaddress1": "b@x.com", "lastname": "B"}, // key columns in the body
		map[string]any{"contactid": pk, "lastname": "C"},            // primary key
		map[string]any{"lastname": "D"},                             // no key: created
	), http.StatusNoContent)
	expect(t, upsert(
		map[string]any{"@odata.id": "contacts(emailaddress1='A@X.com')", "jobtitle": "updated"},
		map[string]any{"emailaddress1": "b@x.com", "jobtitle": "updated"},
		map[string]any{"contactid": pk, "jobtitle": "updated"},
	), http.StatusNoContent)
	recs, _ := srv.Records("contact")
	if len(recs) != 4 {
		t.Fatalf("%d contacts, want 4", len(recs))
	}
	updated := 0
	for _, r := range recs {
		if r["jobtitle"] == "updated" {
			updated++
			if r["emailaddress1"] == "A@X.com" {
				t.Fatal("key column changed through @odata.id upsert")
			}
		}
	}
	if updated != 3 {
		t.Fatalf("%d updated", updated)
	}
	// duplicate keys in one payload are an error, and nothing is written
	r := expect(t, upsert(
		map[string]any{"@odata.id": "contacts(emailaddress1='new@x.com')", "lastname": "N1"},
		map[string]any{"emailaddress1": "NEW@x.com", "lastname": "N2"},
	), http.StatusBadRequest)
	if _, msg := r.errorCode(t); !strings.Contains(msg, "duplicate") {
		t.Fatal(msg)
	}
	// validation is the same as for single requests, and the request is atomic
	expect(t, upsert(
		map[string]any{"@odata.id": "contacts(emailaddress1='ok@x.com')", "lastname": "ok"},
		map[string]any{"@odata.id": "contacts(emailaddress1='bad@x.com')", "preferredcontactmethodcode": 42},
	), http.StatusBadRequest)
	if n, _ := srv.Count("contact"); n != 4 {
		t.Fatalf("%d contacts after failed requests", n)
	}
}

func TestBulkActionsCanBeUnavailableForATable(t *testing.T) {
	tables := `table "contact" {
  bulk_operations = false
}`
	srv, c := start(t, withTablesHCL(t, tables))
	r := expect(t, c.do("POST", "contacts/Microsoft.Dynamics.CRM.CreateMultiple", map[string]any{"Targets": []any{typed("contact", contact("A"))}}), http.StatusBadRequest)
	if _, msg := r.errorCode(t); !strings.Contains(msg, "does not support entities of type 'contact'") {
		t.Fatal(msg)
	}
	// the documented probe tells clients the same
	probe := func(table string) int {
		r := expect(t, c.do("GET", "sdkmessagefilters?$select=sdkmessagefilterid&$filter=sdkmessageid/name eq @message and primaryobjecttypecode eq @table&@message='CreateMultiple'&@table='"+table+"'", nil), http.StatusOK)
		return len(r.values(t))
	}
	if probe("contact") != 0 || probe("account") != 1 {
		t.Fatalf("probe contact %d account %d", probe("contact"), probe("account"))
	}
	_ = srv
}
