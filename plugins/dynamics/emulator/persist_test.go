package emulator_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/sluicedata/sluice/plugins/dynamics/emulator"
)

func TestDataDirKeepsRecordsAndCredentialsAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	first, err := emulator.Start(context.Background(), emulator.Options{DataDir: dir, TLS: true})
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, first)
	token := c.token
	id := idFromEntityID(t, expect(t, c.do("POST", "accounts", map[string]any{"name": "Kept", "revenue": 1.5}), http.StatusNoContent))
	expect(t, c.do("PATCH", "contacts(emailaddress1='kept@example.com')", map[string]any{"lastname": "Kept", "parentcustomerid_account@odata.bind": "accounts(" + id + ")"}), http.StatusNoContent)
	gone := idFromEntityID(t, expect(t, c.do("POST", "accounts", map[string]any{"name": "Deleted"}), http.StatusNoContent))
	expect(t, c.do("DELETE", "accounts("+gone+")", nil), http.StatusNoContent)
	delta := expect(t, c.do("GET", "accounts?$select=name", nil, "Prefer", "odata.track-changes"), http.StatusOK).json(t)["@odata.deltaLink"].(string)
	etag := expect(t, c.do("GET", "accounts("+id+")", nil), http.StatusOK).json(t)["@odata.etag"]
	tenant, clientID, secret, caPEM := first.TenantID, first.ClientID, first.ClientSecret, string(first.CAPEM())
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	// the same address: a token's audience is the environment URL
	second, err := emulator.Start(context.Background(), emulator.Options{DataDir: dir, TLS: true, Addr: strings.TrimPrefix(first.URL(), "https://")})
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	if second.TenantID != tenant || second.ClientID != clientID || second.ClientSecret != secret || string(second.CAPEM()) != caPEM {
		t.Fatal("credentials or CA changed across the restart")
	}
	c2 := newClient(t, second)
	c2.token = token // a token issued before the restart still works
	got := expect(t, c2.do("GET", "contacts(emailaddress1='KEPT@example.com')?$select=lastname,_parentcustomerid_value", nil), http.StatusOK).json(t)
	if got["lastname"] != "Kept" || got["_parentcustomerid_value"] != id {
		t.Fatalf("%v", got)
	}
	acct := expect(t, c2.do("GET", "accounts("+id+")", nil), http.StatusOK).json(t)
	if acct["@odata.etag"] != etag || acct["name"] != "Kept" {
		t.Fatalf("%v", acct)
	}
	expect(t, c2.do("GET", "accounts("+gone+")", nil), http.StatusNotFound)
	// new writes keep versions increasing, and old delta tokens keep working
	expect(t, c2.do("PATCH", "accounts("+id+")", map[string]any{"name": "Changed"}), http.StatusNoContent)
	changes := expect(t, c2.do("GET", delta, nil), http.StatusOK).values(t)
	if len(changes) != 1 || changes[0]["name"] != "Changed" {
		t.Fatalf("delta after restart: %v", changes)
	}
}

func TestJournalSurvivesAnUncleanStop(t *testing.T) {
	dir := t.TempDir()
	first, err := emulator.Start(context.Background(), emulator.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, first)
	for i := 0; i < 10; i++ {
		expect(t, c.do("POST", "contacts", map[string]any{"lastname": "j"}), http.StatusNoContent)
	}
	// no Close: the journal alone must carry the writes (as after a kill)
	second, err := emulator.Start(context.Background(), emulator.Options{DataDir: dir, Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	if n, _ := second.Count("contact"); n != 10 {
		t.Fatalf("%d contacts after an unclean stop", n)
	}
	_ = first.Close()
}
