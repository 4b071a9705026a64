package emulator_test

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"testing"
)

// TestQueriesByKeyAnswerAsScans: a filter that pins the contact's email key
// reads through the key's index; the answer must be the one a scan of the
// table gives (the same filter, wrapped in not not, which no index serves).
func TestQueriesByKeyAnswerAsScans(t *testing.T) {
	srv, c := start(t)
	var recs []map[string]any
	for i := range 200 {
		recs = append(recs, map[string]any{"lastname": fmt.Sprint("L", i%7), "emailaddress1": fmt.Sprintf("P%d@Example.com", i)})
	}
	recs = append(recs, map[string]any{"lastname": "NoEmail"})
	if _, err := srv.Insert(context.Background(), "contact", recs...); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{
		`Microsoft.Dynamics.CRM.In(PropertyName='emailaddress1',PropertyValues=["p1@example.com","P2@EXAMPLE.COM","p3@example.com ","nobody@example.com"])`,
		`emailaddress1 eq 'p5@example.com'`,
		`'P6@example.com' eq emailaddress1`,
		`(emailaddress1 eq 'p7@example.com' and lastname eq 'L0') or (lastname eq 'L1' and emailaddress1 eq 'p8@example.com')`,
		`Microsoft.Dynamics.CRM.In(PropertyName='emailaddress1',PropertyValues=["p9@example.com"]) or emailaddress1 eq 'p10@example.com'`,
		`emailaddress1 eq 'p11@example.com' or lastname eq 'NoEmail'`,
	} {
		ids := func(filter string) []string {
			r := expect(t, c.do("GET", "contacts?$select=contactid&$filter="+url.QueryEscape(filter), nil), 200)
			var out []string
			for _, v := range r.values(t) {
				out = append(out, v["contactid"].(string))
			}
			slices.Sort(out)
			return out
		}
		indexed, scanned := ids(f), ids("not (not ("+f+"))")
		if !slices.Equal(indexed, scanned) {
			t.Errorf("%s:\n  indexed %v\n  scanned %v", f, indexed, scanned)
		}
		if len(scanned) == 0 {
			t.Errorf("%s finds nothing", f)
		}
	}
}
