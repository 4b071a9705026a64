package dynamics_test

import (
	"testing"
)

// TestMatchKeepSameRecord: rows with different keys that find the same
// record — one by its email, one by its name — are collapsed as keep says,
// like rows of one key.
func TestMatchKeepSameRecord(t *testing.T) {
	rows := [][]any{
		person("", "ann@example.com", "Ann", "Lee", "", "first", "", 0),
		person("", "ann.lee@other.example", "Ann", "Lee", "", "second", "", 0), // an email nobody has: found by name
	}
	for _, tc := range []struct{ keep, want string }{{"last", "second"}, {"first", "first"}} {
		t.Run(tc.keep, func(t *testing.T) {
			e := newMatchEnv(t)
			e.insert("contact", "ann", map[string]any{"firstname": "Ann", "lastname": "Lee", "emailaddress1": "ann@example.com", "jobtitle": "old"})
			s := e.sink(people, `table = "contact"
match {
  rule "email" { equals = { emailaddress1 = "email" } }
  rule "name"  { equals = { firstname = "first", lastname = "last" } }
  keep = "`+tc.keep+`"
  on_none = "skip"
}
mapping {
  jobtitle = "title"
}`)
			res := e.write(s, people, rows...)
			if res.Updated != 1 || res.Deduplicated != 1 || res.Created != 0 {
				t.Errorf("%+v, want 1 updated and 1 deduplicated", res)
			}
			if got := e.record("contact", "ann")["jobtitle"]; got != tc.want {
				t.Errorf("jobtitle %v, want %s", got, tc.want)
			}
		})
	}
}
