package emulator_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestRequestLogCountsRecordsAndWrites(t *testing.T) {
	srv, c := start(t)
	expect(t, c.do("POST", "contacts/Microsoft.Dynamics.CRM.UpsertMultiple", map[string]any{"Targets": []any{
		typed("contact", map[string]any{"@odata.id": "contacts(emailaddress1='a@x.com')", "lastname": "a"}),
		typed("contact", map[string]any{"@odata.id": "contacts(emailaddress1='b@x.com')", "lastname": "b"}),
	}}), http.StatusNoContent)
	c.batch(t, "", batchReq{"PATCH", "contacts(emailaddress1='c@x.com')", contact("c"), ""}, batchReq{"GET", "contacts?$select=lastname", nil, ""})
	expect(t, c.do("GET", "contacts?$select=lastname", nil), http.StatusOK)
	log := srv.RequestLog()
	var ops []string
	writes := 0
	for _, e := range log {
		ops = append(ops, e.Operation)
		if e.Write && e.Operation != "batch" { // a $batch's requests have their own entries
			writes += e.Records
		}
		if e.User == "" || e.ClientID != srv.ClientID || e.Status == 0 || e.Duration <= 0 {
			t.Fatalf("entry %+v", e)
		}
	}
	// the $batch entry comes first, then its requests, flagged InBatch
	if got := strings.Join(ops, ","); got != "UpsertMultiple,batch,create,query,query" {
		t.Fatalf("operations %s", got)
	}
	if log[0].Records != 2 || log[1].Records != 4 || !log[2].InBatch || log[2].Records != 1 || writes != 3 {
		t.Fatalf("records %+v", log)
	}
	// the log over HTTP, since a sequence number
	resp, err := http.Get(srv.URL() + "/_emulator/log?since=" + "2")
	if err != nil {
		t.Fatal(err)
	}
	var entries []map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&entries)
	resp.Body.Close()
	if len(entries) != 3 {
		t.Fatalf("%d entries since 2", len(entries))
	}
	srv.ResetRequestLog()
	if len(srv.RequestLog()) != 0 {
		t.Fatal("log not reset")
	}
}

func TestInsertAndResetForFixtures(t *testing.T) {
	srv, c := start(t)
	ids, err := srv.Insert(context.Background(), "account", map[string]any{"name": "Fixture"}, map[string]any{"name": "Other", "accountnumber": "A-2"})
	if err != nil || len(ids) != 2 {
		t.Fatalf("%v %v", ids, err)
	}
	if _, err := srv.Insert(context.Background(), "contact", map[string]any{"nosuchcolumn": 1}); err == nil {
		t.Fatal("invalid fixture accepted")
	}
	rec, ok, _ := srv.Record("account", ids[1])
	if !ok || rec["accountnumber"] != "A-2" {
		t.Fatalf("%v", rec)
	}
	// seeding and resetting over HTTP
	resp, err := http.Post(srv.URL()+"/_emulator/tables/contacts", "application/json", strings.NewReader(`[{"lastname":"x"},{"lastname":"y"}]`))
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("%v %v", err, resp)
	}
	resp.Body.Close()
	resp, _ = http.Get(srv.URL() + "/_emulator/tables")
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"count":2,"entity_set":"contacts"`) {
		t.Fatalf("tables %s", body)
	}
	resp, _ = http.Post(srv.URL()+"/_emulator/reset", "", nil)
	resp.Body.Close()
	for _, table := range []string{"account", "contact"} {
		if n, _ := srv.Count(table); n != 0 {
			t.Fatalf("%s: %d after reset", table, n)
		}
	}
	// the application user still exists after a reset
	expect(t, c.do("GET", "WhoAmI", nil), http.StatusOK)
	if n, _ := srv.Count("systemuser"); n != 1 {
		t.Fatalf("%d systemusers", n)
	}
}
