package emulator_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestCreateAnswers204WithEntityIDOr201WithRepresentation(t *testing.T) {
	srv, c := start(t)
	r := expect(t, c.do("POST", "accounts", map[string]any{"name": "Contoso", "revenue": 5000000, "creditonhold": false, "accountcategorycode": 1}), http.StatusNoContent)
	id := idFromEntityID(t, r)
	if want := srv.WebAPIURL() + "/accounts(" + id + ")"; r.header.Get("OData-EntityId") != want || len(r.body) != 0 {
		t.Fatalf("OData-EntityId %q, want %q", r.header.Get("OData-EntityId"), want)
	}
	r = expect(t, c.do("POST", "accounts?$select=name,revenue", map[string]any{"name": "Fabrikam", "revenue": 12.5}, "Prefer", "return=representation"), http.StatusCreated)
	if r.header.Get("OData-EntityId") != "" || r.header.Get("Preference-Applied") != "return=representation" {
		t.Fatalf("headers %v", r.header)
	}
	body := r.json(t)
	if body["name"] != "Fabrikam" || body["revenue"] != json.Number("12.5000") || body["accountid"] == nil || body["@odata.etag"] == nil ||
		body["@odata.context"] != srv.WebAPIURL()+"/$metadata#accounts(name,revenue)/$entity" {
		t.Fatalf("body %s", r.body)
	}
	if _, has := body["description"]; has {
		t.Fatalf("$select ignored: %s", r.body)
	}
}

func TestUpsertFollowsIfMatchAndIfNoneMatch(t *testing.T) {
	_, c := start(t)
	const id = "11111111-2222-3333-4444-555555555555"
	url := "accounts(" + id + ")"
	// If-Match: * never creates
	r := expect(t, c.do("PATCH", url, map[string]any{"name": "A"}, "If-Match", "*"), http.StatusNotFound)
	if code, msg := r.errorCode(t); code != "0x80040217" || msg != "account With Id = "+id+" Does Not Exist" {
		t.Fatalf("%s %s", code, msg)
	}
	// plain PATCH creates with the chosen id, then updates
	r = expect(t, c.do("PATCH", url, map[string]any{"name": "A"}, "If-None-Match", "null"), http.StatusNoContent)
	if !strings.HasSuffix(r.header.Get("OData-EntityId"), url) {
		t.Fatalf("OData-EntityId %q", r.header.Get("OData-EntityId"))
	}
	rep := expect(t, c.do("PATCH", url+"?$select=name", map[string]any{"name": "B"}, "Prefer", "return=representation"), http.StatusOK)
	etag := rep.header.Get("ETag")
	if rep.json(t)["name"] != "B" || etag == "" || rep.json(t)["@odata.etag"] != etag {
		t.Fatalf("update with representation: %v %s", rep.header, rep.body)
	}
	// If-None-Match: * never updates
	r = expect(t, c.do("PATCH", url, map[string]any{"name": "C"}, "If-None-Match", "*"), http.StatusPreconditionFailed)
	if _, msg := r.errorCode(t); msg != "A record with matching key values already exists." {
		t.Fatal(msg)
	}
	// optimistic concurrency
	expect(t, c.do("PATCH", url, map[string]any{"name": "D"}, "If-Match", etag), http.StatusNoContent)
	r = expect(t, c.do("PATCH", url, map[string]any{"name": "E"}, "If-Match", etag), http.StatusPreconditionFailed)
	if code, msg := r.errorCode(t); code != "0x80060882" || !strings.Contains(msg, "RowVersion") {
		t.Fatalf("%s %s", code, msg)
	}
	got := expect(t, c.do("GET", url+"?$select=name,versionnumber,modifiedon", nil), http.StatusOK).json(t)
	if got["name"] != "D" || got["@odata.etag"] == etag {
		t.Fatalf("after conditional updates: %v", got)
	}
	// conditional GET
	cur := got["@odata.etag"].(string)
	expect(t, c.do("GET", url, nil, "If-None-Match", cur), http.StatusNotModified)
	expect(t, c.do("GET", url, nil, "If-None-Match", etag), http.StatusOK)
	// delete: stale etag, then success, then missing
	expect(t, c.do("DELETE", url, nil, "If-Match", etag), http.StatusPreconditionFailed)
	expect(t, c.do("DELETE", url, nil), http.StatusNoContent)
	expect(t, c.do("DELETE", url, nil), http.StatusNotFound)
	expect(t, c.do("GET", url, nil), http.StatusNotFound)
}

func TestUpsertByAlternateKey(t *testing.T) {
	srv, c := start(t)
	url := "contacts(emailaddress1='ada@example.com')"
	r := expect(t, c.do("PATCH", url, map[string]any{"firstname": "Ada", "lastname": "Lovelace"}), http.StatusNoContent)
	if r.header.Get("OData-EntityId") != srv.WebAPIURL()+"/"+url {
		t.Fatalf("OData-EntityId %q should echo the key form", r.header.Get("OData-EntityId"))
	}
	// keys compare case-insensitively, like SQL Server's collation, and key values in the body are ignored on update
	rep := expect(t, c.do("PATCH", "contacts(emailaddress1='ADA@example.com')", map[string]any{"jobtitle": "Analyst", "emailaddress1": "changed@example.com"}, "Prefer", "return=representation"), http.StatusOK)
	if got := rep.json(t); got["emailaddress1"] != "ada@example.com" || got["jobtitle"] != "Analyst" {
		t.Fatalf("update by key: %s", rep.body)
	}
	if n, _ := srv.Count("contact"); n != 1 {
		t.Fatalf("%d contacts, want 1", n)
	}
	got := expect(t, c.do("GET", url+"?$select=fullname,jobtitle", nil), http.StatusOK).json(t)
	if got["fullname"] != "Ada Lovelace" || got["jobtitle"] != "Analyst" {
		t.Fatalf("%v", got)
	}
	expect(t, c.do("GET", "contacts(emailaddress1='nobody@example.com')", nil), http.StatusNotFound)
	// creating a second contact with the same key value is a key violation
	r = expect(t, c.do("POST", "contacts", map[string]any{"lastname": "Twin", "emailaddress1": "Ada@Example.com"}), http.StatusPreconditionFailed)
	if code, _ := r.errorCode(t); code != "0x80060892" {
		t.Fatalf("code %s", code)
	}
	// columns that are not a key, and characters the service refuses in URL keys
	r = expect(t, c.do("GET", "contacts(lastname='Lovelace')", nil), http.StatusBadRequest)
	if code, msg := r.errorCode(t); code != "0x80060888" || !strings.HasPrefix(msg, "The key in the request URI is not valid for resource 'Microsoft.Dynamics.CRM.contact'") {
		t.Fatalf("%s %s", code, msg)
	}
	expect(t, c.do("PATCH", "contacts(emailaddress1='a+b@example.com')", map[string]any{"lastname": "Plus"}), http.StatusBadRequest)
	expect(t, c.do("DELETE", url, nil), http.StatusNoContent)
}

func TestValidationErrorsHaveTheServiceShape(t *testing.T) {
	_, c := start(t)
	cases := []struct {
		name   string
		body   map[string]any
		status int
		code   string
		msg    string
	}{
		{"unknown property", map[string]any{"Name": "x"}, 400, "0x0", "Invalid property 'Name' was found in entity 'Microsoft.Dynamics.CRM.account'"},
		{"string too long", map[string]any{"name": strings.Repeat("x", 161)}, 400, "0x80044331", "A validation error occurred.  The length of the 'name' attribute of the 'account' entity exceeded the maximum allowed length of '160'."},
		{"invalid option", map[string]any{"name": "x", "accountcategorycode": 99}, 400, "0x8004431a", "The value 99 of 'accountcategorycode' on record of type 'account' is outside the valid range. Accepted Values: 1,2"},
		{"wrong literal type", map[string]any{"numberofemployees": "many"}, 400, "0x80048d19", "Cannot convert the literal 'many' to the expected type 'Edm.Int32'."},
		{"lookup attribute bind", map[string]any{"parentaccountid@odata.bind": nil, "primarycontactid": "x"}, 400, "0x0", "Invalid property 'primarycontactid'"},
		{"undeclared navigation property", map[string]any{"name": "x", "parentcustomerid@odata.bind": "accounts(00000000-0000-0000-0000-000000000001)"}, 400, "0x80048d19", "An undeclared property 'parentcustomerid' which only has property annotations"},
		{"missing bound record", map[string]any{"name": "x", "parentaccountid@odata.bind": "/accounts(00000000-0000-0000-0000-000000000009)"}, 404, "0x80040217", "account With Id = 00000000-0000-0000-0000-000000000009 Does Not Exist"},
		{"bind to the wrong table", map[string]any{"name": "x", "parentaccountid@odata.bind": "/contacts(00000000-0000-0000-0000-000000000009)"}, 400, "0x80048d19", "expected type is 'Microsoft.Dynamics.CRM.account'"},
		{"out of range integer", map[string]any{"name": "x", "numberofemployees": -1}, 400, "0x8004431a", "outside the valid range"},
		{"state and status that do not belong together", map[string]any{"name": "x", "statecode": 0, "statuscode": 2}, 400, "0x8004431a", "2 is not a valid status code for state code Active on account."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := expect(t, c.do("POST", "accounts", tc.body), tc.status)
			code, msg := r.errorCode(t)
			if code != tc.code || !strings.Contains(msg, tc.msg) {
				t.Fatalf("got %s %q, want %s containing %q", code, msg, tc.code, tc.msg)
			}
		})
	}
	// the contact's polymorphic lookup: parentcustomerid is not a navigation property
	r := expect(t, c.do("POST", "contacts", map[string]any{"firstname": "test", "lastname": "contact", "parentcustomerid@odata.bind": "accounts(00000000-0000-0000-0000-000000000001)"}), 400)
	if _, msg := r.errorCode(t); !strings.HasPrefix(msg, "Error identified in Payload provided by the user for Entity :'contacts'") {
		t.Fatal(msg)
	}
	// a duplicate primary key
	const id = "aaaaaaaa-0000-0000-0000-000000000001"
	expect(t, c.do("POST", "accounts", map[string]any{"accountid": id, "name": "one"}), http.StatusNoContent)
	r = expect(t, c.do("POST", "accounts", map[string]any{"accountid": id, "name": "two"}), http.StatusPreconditionFailed)
	if code, _ := r.errorCode(t); code != "0x80040237" {
		t.Fatal(code)
	}
	// unknown and wrongly cased entity sets
	for _, set := range []string{"Contacts", "widgets"} {
		r = expect(t, c.do("GET", set, nil), http.StatusNotFound)
		if code, msg := r.errorCode(t); code != "0x8006088a" || msg != "Resource not found for the segment '"+set+"'." {
			t.Fatalf("%s %s", code, msg)
		}
	}
	// nothing invalid was stored
	if got := expect(t, c.do("GET", "accounts?$count=true&$select=name", nil), http.StatusOK).json(t)["@odata.count"]; got != json.Number("1") {
		t.Fatalf("count %v", got)
	}
}

func TestLookupsBindByIDOrKeyAndReadBack(t *testing.T) {
	_, c := start(t)
	acct := idFromEntityID(t, expect(t, c.do("POST", "accounts", map[string]any{"name": "Contoso"}), http.StatusNoContent))
	expect(t, c.do("PATCH", "contacts(emailaddress1='boss@example.com')", map[string]any{"lastname": "Boss"}), http.StatusNoContent)
	// polymorphic lookup through its per-target navigation property, by GUID
	emp := idFromEntityID(t, expect(t, c.do("POST", "contacts", map[string]any{"lastname": "Employee", "parentcustomerid_account@odata.bind": "/accounts(" + acct + ")"}), http.StatusNoContent))
	// by alternate key, without the leading slash
	sub := idFromEntityID(t, expect(t, c.do("POST", "contacts", map[string]any{"lastname": "Report", "parentcustomerid_contact@odata.bind": "contacts(emailaddress1='boss@example.com')"}), http.StatusNoContent))
	r := expect(t, c.do("GET", "contacts("+emp+")?$select=_parentcustomerid_value,lastname", nil,
		"Prefer", `odata.include-annotations="*"`), http.StatusOK)
	got := r.json(t)
	if got["_parentcustomerid_value"] != acct ||
		got["_parentcustomerid_value@Microsoft.Dynamics.CRM.lookuplogicalname"] != "account" ||
		got["_parentcustomerid_value@Microsoft.Dynamics.CRM.associatednavigationproperty"] != "parentcustomerid_account" ||
		got["_parentcustomerid_value@OData.Community.Display.V1.FormattedValue"] != "Contoso" {
		t.Fatalf("lookup read back: %s", r.body)
	}
	got = expect(t, c.do("GET", "contacts("+sub+")?$select=lastname&$expand=parentcustomerid_contact($select=lastname),parentcustomerid_account($select=name)", nil), http.StatusOK).json(t)
	boss, ok := got["parentcustomerid_contact"].(map[string]any)
	if !ok || boss["lastname"] != "Boss" || got["parentcustomerid_account"] != nil {
		t.Fatalf("expand: %v", got)
	}
	// switching the polymorphic lookup to the other target replaces it; a null bind clears it
	expect(t, c.do("PATCH", "contacts("+sub+")", map[string]any{"parentcustomerid_account@odata.bind": "accounts(" + acct + ")"}), http.StatusNoContent)
	got = expect(t, c.do("GET", "contacts("+sub+")?$select=_parentcustomerid_value", nil), http.StatusOK).json(t)
	if got["_parentcustomerid_value"] != acct {
		t.Fatalf("%v", got)
	}
	expect(t, c.do("PATCH", "contacts("+sub+")", map[string]any{"parentcustomerid_account@odata.bind": nil}), http.StatusNoContent)
	got = expect(t, c.do("GET", "contacts("+sub+")?$select=_parentcustomerid_value", nil), http.StatusOK).json(t)
	if got["_parentcustomerid_value"] != nil {
		t.Fatalf("null bind did not clear: %v", got)
	}
	// ownerid binds to a team or a user; the default owner is the calling application user
	teams := expect(t, c.do("GET", "teams?$select=name", nil), http.StatusOK).values(t)
	expect(t, c.do("PATCH", "contacts("+sub+")", map[string]any{"ownerid@odata.bind": "/teams(" + teams[0]["teamid"].(string) + ")"}), http.StatusNoContent)
	got = expect(t, c.do("GET", "contacts("+sub+")?$select=_ownerid_value", nil, "Prefer", `odata.include-annotations="Microsoft.Dynamics.CRM.lookuplogicalname"`), http.StatusOK).json(t)
	if got["_ownerid_value@Microsoft.Dynamics.CRM.lookuplogicalname"] != "team" {
		t.Fatalf("owner: %v", got)
	}
	// the account's related contacts through the collection-valued navigation property
	rel := expect(t, c.do("GET", "accounts("+acct+")/contact_customer_accounts?$select=lastname", nil), http.StatusOK).values(t)
	if len(rel) != 1 || rel[0]["lastname"] != "Employee" {
		t.Fatalf("related: %v", rel)
	}
}

func TestStateStatusAndComputedColumns(t *testing.T) {
	_, c := start(t)
	id := idFromEntityID(t, expect(t, c.do("POST", "leads", map[string]any{"subject": "Interested", "firstname": "Grace", "lastname": "Hopper"}), http.StatusNoContent))
	got := expect(t, c.do("GET", "leads("+id+")?$select=fullname,statecode,statuscode", nil, "Prefer", `odata.include-annotations="OData.Community.Display.V1.FormattedValue"`), http.StatusOK).json(t)
	if got["fullname"] != "Grace Hopper" || got["statecode"] != json.Number("0") || got["statuscode"] != json.Number("1") ||
		got["statuscode@OData.Community.Display.V1.FormattedValue"] != "New" || got["statecode@OData.Community.Display.V1.FormattedValue"] != "Open" {
		t.Fatalf("%v", got)
	}
	// setting only the state picks that state's default status
	expect(t, c.do("PATCH", "leads("+id+")", map[string]any{"statecode": 2}), http.StatusNoContent)
	got = expect(t, c.do("GET", "leads("+id+")?$select=statecode,statuscode", nil), http.StatusOK).json(t)
	if got["statecode"] != json.Number("2") || got["statuscode"] != json.Number("4") {
		t.Fatalf("%v", got)
	}
	// single property access
	expect(t, c.do("PUT", "leads("+id+")/jobtitle", map[string]any{"value": "Admiral"}), http.StatusNoContent)
	v := expect(t, c.do("GET", "leads("+id+")/jobtitle", nil), http.StatusOK).json(t)
	if v["value"] != "Admiral" {
		t.Fatalf("%v", v)
	}
	expect(t, c.do("DELETE", "leads("+id+")/jobtitle", nil), http.StatusNoContent)
	if v := expect(t, c.do("GET", "leads("+id+")/jobtitle", nil), http.StatusOK).json(t); v["value"] != nil {
		t.Fatalf("%v", v)
	}
}

// TestWritesMaintainModifiedOnVersionAndETag checks the system columns a client reads to see what changed: an update
// moves modifiedon and versionnumber forward and changes the ETag (W/"<versionnumber>"), createdon stays.
func TestWritesMaintainModifiedOnVersionAndETag(t *testing.T) {
	_, c := start(t)
	id := idFromEntityID(t, expect(t, c.do("POST", "contacts", map[string]any{"lastname": "Before"}), http.StatusNoContent))
	read := func() map[string]any {
		return expect(t, c.do("GET", "contacts("+id+")?$select=lastname,createdon,modifiedon,versionnumber", nil), http.StatusOK).json(t)
	}
	parse := func(m map[string]any, k string) time.Time {
		tm, err := time.Parse(time.RFC3339, m[k].(string))
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		return tm
	}
	before := read()
	if before["createdon"] != before["modifiedon"] || before["@odata.etag"] != `W/"`+before["versionnumber"].(json.Number).String()+`"` {
		t.Fatalf("after create: %v", before)
	}
	// the service's times have whole seconds: let one pass so the update's modifiedon can differ
	time.Sleep(time.Until(parse(before, "modifiedon").Add(time.Second)) + 50*time.Millisecond)
	expect(t, c.do("PATCH", "contacts("+id+")", map[string]any{"lastname": "After"}), http.StatusNoContent)
	after := read()
	v0, _ := before["versionnumber"].(json.Number).Int64()
	v1, _ := after["versionnumber"].(json.Number).Int64()
	if after["lastname"] != "After" || after["createdon"] != before["createdon"] || !parse(after, "modifiedon").After(parse(before, "modifiedon")) ||
		v1 <= v0 || after["@odata.etag"] != `W/"`+after["versionnumber"].(json.Number).String()+`"` {
		t.Fatalf("before %v\nafter  %v", before, after)
	}
}
