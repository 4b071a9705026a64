package emulator_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestChangeTrackingReturnsChangesAndDeletions(t *testing.T) {
	_, c := start(t)
	a := idFromEntityID(t, expect(t, c.do("POST", "accounts", map[string]any{"name": "A"}), http.StatusNoContent))
	b := idFromEntityID(t, expect(t, c.do("POST", "accounts", map[string]any{"name": "B"}), http.StatusNoContent))
	r := expect(t, c.do("GET", "accounts?$select=name,accountnumber", nil, "Prefer", "odata.track-changes"), http.StatusOK)
	if r.header.Get("Preference-Applied") != "odata.track-changes" || len(r.values(t)) != 2 {
		t.Fatalf("initial read: %v %s", r.header, r.body)
	}
	delta, _ := r.json(t)["@odata.deltaLink"].(string)
	if !strings.HasPrefix(delta, c.srv.WebAPIURL()+"/accounts?$select=name,accountnumber&$deltatoken=") {
		t.Fatalf("deltaLink %q", delta)
	}
	// nothing changed
	r = expect(t, c.do("GET", delta, nil), http.StatusOK)
	if len(r.values(t)) != 0 || r.json(t)["@odata.deltaLink"] == nil {
		t.Fatalf("no changes: %s", r.body)
	}
	// update one, delete one, create one (and create+delete another between syncs)
	expect(t, c.do("PATCH", "accounts("+a+")", map[string]any{"accountnumber": "A-1"}), http.StatusNoContent)
	expect(t, c.do("DELETE", "accounts("+b+")", nil), http.StatusNoContent)
	cNew := idFromEntityID(t, expect(t, c.do("POST", "accounts", map[string]any{"name": "C"}), http.StatusNoContent))
	gone := idFromEntityID(t, expect(t, c.do("POST", "accounts", map[string]any{"name": "short-lived"}), http.StatusNoContent))
	expect(t, c.do("DELETE", "accounts("+gone+")", nil), http.StatusNoContent)
	r = expect(t, c.do("GET", delta, nil), http.StatusOK)
	body := r.json(t)
	if !strings.HasSuffix(body["@odata.context"].(string), "$metadata#accounts(name,accountnumber)/$delta") {
		t.Fatalf("context %v", body["@odata.context"])
	}
	changed, deleted := map[string]bool{}, map[string]bool{}
	for _, v := range r.values(t) {
		if v["reason"] == "deleted" {
			if !strings.HasSuffix(v["@odata.context"].(string), "$metadata#accounts/$deletedEntity") {
				t.Fatalf("deleted entry %v", v)
			}
			deleted[v["id"].(string)] = true
			continue
		}
		changed[v["accountid"].(string)] = true
	}
	if len(changed) != 2 || !changed[a] || !changed[cNew] || len(deleted) != 2 || !deleted[b] || !deleted[gone] {
		t.Fatalf("changed %v deleted %v: %s", changed, deleted, r.body)
	}
	next := body["@odata.deltaLink"].(string)
	if next == delta {
		t.Fatal("the delta link did not advance")
	}
	if r := expect(t, c.do("GET", next, nil), http.StatusOK); len(r.values(t)) != 0 {
		t.Fatalf("after the new token: %s", r.body)
	}
}

func TestChangeTrackingPagesAndRejectsQueryOptions(t *testing.T) {
	_, c := start(t)
	var batch []map[string]any
	for i := 0; i < 7; i++ {
		batch = append(batch, map[string]any{"lastname": "n"})
	}
	seedContacts(t, c, batch...)
	link := c.srv.WebAPIURL() + "/contacts?$select=lastname"
	rows, pages := 0, 0
	var delta string
	for link != "" {
		r := expect(t, c.do("GET", link, nil, "Prefer", "odata.track-changes", "Prefer", "odata.maxpagesize=3"), http.StatusOK)
		rows += len(r.values(t))
		pages++
		link, _ = r.json(t)["@odata.nextLink"].(string)
		if d, ok := r.json(t)["@odata.deltaLink"].(string); ok {
			delta = d
		}
	}
	if rows != 7 || pages != 3 || delta == "" {
		t.Fatalf("%d rows in %d pages, delta %q", rows, pages, delta)
	}
	// changes made while paging appear in the next delta
	seedContacts(t, c, batch[:5]...)
	link, rows = delta, 0
	for link != "" {
		r := expect(t, c.do("GET", link, nil, "Prefer", "odata.maxpagesize=2"), http.StatusOK)
		rows += len(r.values(t))
		body := r.json(t)
		link, _ = body["@odata.nextLink"].(string)
	}
	if rows != 5 {
		t.Fatalf("delta rows %d, want 5", rows)
	}
	for _, opt := range []string{"$filter=lastname eq 'n'", "$orderby=lastname", "$top=1", "$expand=parentcustomerid_account"} {
		r := expect(t, c.do("GET", "contacts?$select=lastname&"+opt, nil, "Prefer", "odata.track-changes"), http.StatusBadRequest)
		if _, msg := r.errorCode(t); !strings.Contains(msg, "isn't supported when Change Tracking is enabled") {
			t.Fatal(msg)
		}
	}
	// a reset invalidates older delta tokens
	if err := c.srv.Reset(); err != nil {
		t.Fatal(err)
	}
	expect(t, c.do("GET", delta, nil), http.StatusBadRequest)
}
