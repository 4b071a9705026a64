package emulator_test

import (
	"net/http"
	"testing"
)

func TestCreateAndRetrieveContact(t *testing.T) {
	_, c := start(t)
	r := expect(t, c.do("POST", "contacts", map[string]any{"firstname": "Ada", "lastname": "Lovelace", "emailaddress1": "ada@example.com"}), http.StatusNoContent)
	id := idFromEntityID(t, r)
	got := expect(t, c.do("GET", "contacts("+id+")?$select=fullname,emailaddress1", nil), http.StatusOK).json(t)
	if got["fullname"] != "Ada Lovelace" || got["emailaddress1"] != "ada@example.com" || got["contactid"] != id {
		t.Fatalf("got %v", got)
	}
	t.Logf("%s", c.do("GET", "contacts("+id+")", nil).body)
}
