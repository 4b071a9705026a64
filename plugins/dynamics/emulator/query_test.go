package emulator_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// seedContacts creates contacts through CreateMultiple and returns the client.
func seedContacts(t *testing.T, c *client, contacts ...map[string]any) {
	t.Helper()
	for _, ct := range contacts {
		ct["@odata.type"] = "Microsoft.Dynamics.CRM.contact"
	}
	expect(t, c.do("POST", "contacts/Microsoft.Dynamics.CRM.CreateMultiple", map[string]any{"Targets": contacts}), http.StatusOK)
}

func lastnames(t *testing.T, r *response) string {
	t.Helper()
	var names []string
	for _, v := range r.values(t) {
		names = append(names, fmt.Sprint(v["lastname"]))
	}
	return strings.Join(names, ",")
}

func TestFilterOperatorsAndFunctions(t *testing.T) {
	_, c := start(t)
	acct := idFromEntityID(t, expect(t, c.do("POST", "accounts", map[string]any{"name": "O'Neil & Sons #1"}), http.StatusNoContent))
	seedContacts(t, c,
		map[string]any{"firstname": "Ann", "lastname": "Able", "numberofchildren": 1, "emailaddress1": "ann@example.com", "parentcustomerid_account@odata.bind": "accounts(" + acct + ")"},
		map[string]any{"firstname": "Bob", "lastname": "Baker", "numberofchildren": 2, "emailaddress1": "bob@contoso.com"},
		map[string]any{"firstname": "Cy", "lastname": "O'Brian", "numberofchildren": 3, "jobtitle": "CEO"},
		map[string]any{"firstname": "Di", "lastname": "Dunn", "numberofchildren": 4, "birthdate": "1990-05-01"},
	)
	cases := []struct{ filter, want string }{
		{"lastname eq 'baker'", "Baker"}, // case-insensitive
		{"lastname ne 'Baker'", "Able,O'Brian,Dunn"},
		{"numberofchildren gt 2", "O'Brian,Dunn"},
		{"numberofchildren ge 2 and numberofchildren le 3", "Baker,O'Brian"},
		{"numberofchildren lt 2 or lastname eq 'Dunn'", "Able,Dunn"},
		{"not (numberofchildren lt 3)", "O'Brian,Dunn"},
		{"contains(emailaddress1,'CONTOSO')", "Baker"},
		{"startswith(lastname,'o''b')", "O'Brian"},
		{"endswith(emailaddress1,'.com') and jobtitle eq null", "Able,Baker"},
		{"jobtitle ne null", "O'Brian"},
		{`Microsoft.Dynamics.CRM.In(PropertyName='lastname',PropertyValues=["Able","O'Brian"])`, "Able,O'Brian"},
		{`Microsoft.Dynamics.CRM.NotIn(PropertyName='numberofchildren',PropertyValues=["1","2"])`, "O'Brian,Dunn"},
		{`Microsoft.Dynamics.CRM.Between(PropertyName='numberofchildren',PropertyValues=["2","3"])`, "Baker,O'Brian"},
		{"_parentcustomerid_value eq " + acct, "Able"},
		{"parentcustomerid_account/name eq 'O''Neil & Sons #1'", "Able"},
		{"birthdate gt 1980-01-01", "Dunn"},
		{"firstname eq lastname", ""},
	}
	for _, tc := range cases {
		t.Run(tc.filter, func(t *testing.T) {
			r := expect(t, c.do("GET", "contacts?$select=lastname&$orderby=numberofchildren&$filter="+url.QueryEscape(tc.filter), nil), http.StatusOK)
			if got := lastnames(t, r); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
	// parameter aliases
	r := expect(t, c.do("GET", "contacts?$select=lastname&$filter=Microsoft.Dynamics.CRM.In(PropertyName=@p1,PropertyValues=@p2)&@p1='lastname'&@p2="+url.QueryEscape(`["Dunn"]`), nil), http.StatusOK)
	if got := lastnames(t, r); got != "Dunn" {
		t.Fatalf("aliases: %q", got)
	}
	// errors the service gives
	r = expect(t, c.do("GET", "contacts?$filter="+url.QueryEscape("lastname eq 'O'Bryan'"), nil), http.StatusBadRequest)
	if _, msg := r.errorCode(t); !strings.Contains(msg, "Syntax error") && !strings.Contains(msg, "unterminated") {
		t.Fatal(msg)
	}
	r = expect(t, c.do("GET", "contacts?$filter="+url.QueryEscape("lastname eq 'O''Bryan"), nil), http.StatusBadRequest)
	if _, msg := r.errorCode(t); !strings.HasPrefix(msg, "There is an unterminated literal at position 12") {
		t.Fatal(msg)
	}
	r = expect(t, c.do("GET", "contacts?$filter="+url.QueryEscape("Lastname eq 'x'"), nil), http.StatusBadRequest)
	if _, msg := r.errorCode(t); msg != "Could not find a property named 'Lastname' on type 'Microsoft.Dynamics.CRM.contact'." {
		t.Fatal(msg)
	}
}

func TestSelectOrderTopCountAndRejectedOptions(t *testing.T) {
	_, c := start(t)
	seedContacts(t, c,
		map[string]any{"firstname": "B", "lastname": "Same", "numberofchildren": 1},
		map[string]any{"firstname": "A", "lastname": "Same", "numberofchildren": 2},
		map[string]any{"firstname": "C", "lastname": "Other", "numberofchildren": 3},
	)
	r := expect(t, c.do("GET", "contacts?$select=firstname,lastname&$orderby=lastname desc,firstname asc&$top=2&$count=true", nil), http.StatusOK)
	body := r.json(t)
	if body["@odata.count"] != json.Number("3") {
		t.Fatalf("count %v", body["@odata.count"])
	}
	var got []string
	for _, v := range r.values(t) {
		got = append(got, v["firstname"].(string))
		if len(v) != 4 { // etag, firstname, lastname, contactid
			t.Fatalf("$select: %v", v)
		}
	}
	if strings.Join(got, "") != "AB" {
		t.Fatalf("order %v", got)
	}
	if _, next := body["@odata.nextLink"]; next {
		t.Fatal("$top must not produce a nextLink")
	}
	r = expect(t, c.do("GET", "contacts/$count", nil), http.StatusOK)
	if string(r.body) != "3" || r.header.Get("Content-Type") != "text/plain" {
		t.Fatalf("$count: %q %q", r.body, r.header.Get("Content-Type"))
	}
	for _, bad := range []string{"contacts?$skip=1", "contacts?$search=x", "contacts?$select=Name"} {
		expect(t, c.do("GET", bad, nil), http.StatusBadRequest)
	}
	r = expect(t, c.do("GET", "contacts?$select="+strings.Repeat("a", 33*1024), nil), http.StatusRequestURITooLong)
	if code, _ := r.errorCode(t); code == "" {
		t.Fatal("no error code on 414")
	}
}

func TestPagingAcrossPagesOnTheRequestBaseURL(t *testing.T) {
	srv, c := start(t)
	var contacts []map[string]any
	for i := 0; i < 23; i++ {
		contacts = append(contacts, map[string]any{"lastname": fmt.Sprintf("L%02d", i), "numberofchildren": i % 4})
	}
	seedContacts(t, c, contacts...)
	// address the emulator as "localhost": next links must keep the base URL the request used
	base := strings.Replace(srv.WebAPIURL(), "127.0.0.1", "localhost", 1)
	for _, order := range []string{"", "&$orderby=numberofchildren desc,lastname"} {
		seen := map[string]bool{}
		var sequence []string
		link := base + "/contacts?$select=lastname,numberofchildren&$count=true" + order
		pages := 0
		for link != "" {
			if !strings.HasPrefix(link, base+"/contacts?") {
				t.Fatalf("next link %q does not use the request's base URL", link)
			}
			r := expect(t, c.do("GET", link, nil, "Prefer", "odata.maxpagesize=10"), http.StatusOK)
			if r.header.Get("Preference-Applied") != "odata.maxpagesize=10" {
				t.Fatalf("Preference-Applied %q", r.header.Get("Preference-Applied"))
			}
			pages++
			for _, v := range r.values(t) {
				name := v["lastname"].(string)
				if seen[name] {
					t.Fatalf("%s twice", name)
				}
				seen[name] = true
				sequence = append(sequence, name)
			}
			link, _ = r.json(t)["@odata.nextLink"].(string)
			if link != "" && (strings.Contains(link, " ") || !strings.Contains(link, "$skiptoken=%3Ccookie%20pagenumber=%22")) {
				t.Fatalf("next link %q", link)
			}
			// inserting between pages does not repeat or skip existing rows
			if pages == 1 {
				seedContacts(t, c, map[string]any{"lastname": fmt.Sprintf("ZZ-late-%d", len(order)), "numberofchildren": 0})
			}
		}
		if pages != 3 || len(seen) < 23 {
			t.Fatalf("order %q: %d pages, %d rows", order, pages, len(seen))
		}
		if order != "" && sequence[0] != "L03" {
			t.Fatalf("order %q starts with %s", order, sequence[0])
		}
	}
	// $top is ignored with odata.maxpagesize, as documented
	r := expect(t, c.do("GET", "contacts?$select=lastname&$top=3", nil, "Prefer", "odata.maxpagesize=5"), http.StatusOK)
	if len(r.values(t)) != 5 || r.json(t)["@odata.nextLink"] == nil {
		t.Fatalf("$top with maxpagesize: %s", r.body)
	}
	// a tampered skip token is rejected
	expect(t, c.do("GET", "contacts?$skiptoken="+url.QueryEscape(`<cookie pagenumber="x" />`), nil), http.StatusBadRequest)
}

func TestCountIsCappedAt5000(t *testing.T) {
	_, c := start(t)
	for b := 0; b < 6; b++ {
		var batch []map[string]any
		for i := 0; i < 1000; i++ {
			batch = append(batch, map[string]any{"lastname": fmt.Sprintf("n%d-%d", b, i)})
		}
		seedContacts(t, c, batch...)
	}
	r := expect(t, c.do("GET", "contacts?$select=contactid&$count=true", nil,
		"Prefer", `odata.include-annotations="Microsoft.Dynamics.CRM.totalrecordcount,Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded"`), http.StatusOK)
	body := r.json(t)
	if body["@odata.count"] != json.Number("5000") || len(body["value"].([]any)) != 5000 || body["@odata.nextLink"] == nil ||
		body["@Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded"] != true {
		t.Fatalf("count %v, %d rows, next %v", body["@odata.count"], len(body["value"].([]any)), body["@odata.nextLink"] != nil)
	}
	if r := expect(t, c.do("GET", "contacts/$count", nil), http.StatusOK); string(r.body) != "5000" {
		t.Fatalf("$count %s", r.body)
	}
	// a larger page cannot be asked for: odata.maxpagesize is capped at 5,000, and Preference-Applied says so
	r = expect(t, c.do("GET", "contacts?$select=contactid", nil, "Prefer", "odata.maxpagesize=6000"), http.StatusOK)
	if n := len(r.values(t)); n != 5000 || r.header.Get("Preference-Applied") != "odata.maxpagesize=5000" || r.json(t)["@odata.nextLink"] == nil {
		t.Fatalf("maxpagesize=6000: %d rows, Preference-Applied %q", n, r.header.Get("Preference-Applied"))
	}
}

func TestFormattedValuesOnlyWhenAsked(t *testing.T) {
	_, c := start(t)
	id := idFromEntityID(t, expect(t, c.do("POST", "accounts", map[string]any{"name": "X", "revenue": 20000, "customertypecode": 1, "creditonhold": true, "numberofemployees": 1200}), http.StatusNoContent))
	plain := expect(t, c.do("GET", "accounts("+id+")?$select=revenue,customertypecode", nil), http.StatusOK).json(t)
	for k := range plain {
		if strings.Contains(k, "FormattedValue") {
			t.Fatalf("annotation without asking: %v", plain)
		}
	}
	got := expect(t, c.do("GET", "accounts?$select=revenue,customertypecode,creditonhold,numberofemployees", nil,
		"Prefer", `odata.include-annotations="OData.Community.Display.V1.FormattedValue"`), http.StatusOK).values(t)[0]
	want := map[string]string{"revenue": "$20,000.00", "customertypecode": "Competitor", "creditonhold": "Yes", "numberofemployees": "1,200"}
	for k, v := range want {
		if got[k+"@OData.Community.Display.V1.FormattedValue"] != v {
			t.Errorf("%s formatted %v, want %q", k, got[k+"@OData.Community.Display.V1.FormattedValue"], v)
		}
	}
}
