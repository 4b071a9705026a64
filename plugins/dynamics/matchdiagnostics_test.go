package dynamics_test

import (
	"testing"
)

// TestMatchMistakesAreReportedAtTheirPosition: mistakes in match rules and
// their tables, found against the definitions, each at its file, line and
// column.
func TestMatchMistakesAreReportedAtTheirPosition(t *testing.T) {
	srv := startEmulator(t)
	src, diags := validate(t, srv, `
  table = "contact"
  match {
    tables = ["contact", "lead", "contakt"]
    rule "email" {
      equals = { emailadress1 = "email" }
    }
    rule "company" {
      equals = { firstname = "first", "parentcustomer_account/name" = "account" }
      tables = ["contact"]
    }
    rule "kids" {
      equals = { numberofchildren = "first" }
      tables = ["contact"]
    }
    rule "birthday" {
      equals = { birthdate = "birthday" }
      tables = ["contact"]
    }
    on_none   = "create"
    create_as = "lead"
  }
  mapping {
    firstname = "first"
  }
`, true)
	expectDiag(t, diags, at(src, `"contakt"`, 0), "Unknown table", `did you mean "contact"`)
	expectDiag(t, diags, at(src, `emailadress1 = "email"`, 15), "Unknown column", `"emailadress1"`, `Did you mean "emailaddress1"`)
	expectDiag(t, diags, at(src, `= "account" }`, 2), "Unknown navigation property", `"parentcustomer_account"`, `Did you mean "parentcustomerid_account"`)
	expectDiag(t, diags, at(src, `numberofchildren = "first"`, 19), "Type mismatch", "a whole number")
	expectDiag(t, diags, at(src, `birthdate = "birthday"`, 12), "rules compare text", "Date")
	expectDiag(t, diags, at(src, `on_none   = "create"`, 12), "Required columns not mapped", "lead requires", "subject")
}

// TestMatchConfigurationMistakes: what can be checked without the
// environment is checked offline.
func TestMatchConfigurationMistakes(t *testing.T) {
	cases := []struct {
		body   string
		needle string
		parts  []string
		offset int
	}{
		{`table = "contact"
match {
  rule "email" { equals = { emailaddress1 = "email" } }
  on_multiple = "newest"
}
mapping { firstname = "first" }`, `"newest"`, []string{"on_multiple", "most_recently_modified"}, 0},
		{`table = "contact"
match {
  rule "email" {
    equals  = { emailaddress1 = "email" }
    compare = "fuzzy"
  }
}
mapping { firstname = "first" }`, `"fuzzy"`, []string{"case_insensitive, exact or domain"}, 0},
		{`table = "contact"
match {
  rule "web" {
    equals  = { websiteurl = "email", emailaddress1 = "email" }
    compare = "domain"
  }
}
mapping { firstname = "first" }`, `"domain"`, []string{"one column"}, 0},
		{`table = "contact"
match {
  rule "email" {
    equals = { emailaddress1 = "email" }
    tables = ["account"]
  }
}
mapping { firstname = "first" }`, `"account"]`, []string{"Table not searched", "account"}, 0},
		{`table = "contact"
key = { emailaddress1 = "email" }
match {
  rule "email" { equals = { emailaddress1 = "email" } }
}
mapping { firstname = "first" }`, `{ emailaddress1 = "email" }
match`, []string{"key and match both given"}, 0},
		{`table = "contact"
key = { emailaddress1 = "email" }
merge { empty = "write" }
mapping { firstname = "first" }`, `merge {`, []string{"needs a match block"}, 0},
		{`table = "contact"
key = { emailaddress1 = "email" }
mapping { telephone1 = ["first", "last"] }`, `["first"`, []string{"needs a match block"}, 1},
		{`table = "contact"
match {
  rule "email" { equals = { emailaddress1 = "email" } }
}
mapping { jobtitle = { value = "title", update = "sometimes" } }`, `"sometimes"`, []string{"overwrite, if_empty, never"}, 0},
		{`table = "contact"
match {
  rule "email" { equals = { emailaddress1 = "email" } }
  order_by = "updated"
}
mapping { firstname = "first" }`, `"updated"`, []string{"unknown name updated"}, 1},
		{`table = "contact"
match {
  rule "email" { equals = { emailaddress1 = "lower(emial)" } }
}
mapping { firstname = "first" }`, `"lower(emial)"`, []string{"unknown name emial"}, 7},
		{`table = "contact"
match {
  rule "email" { equals = { emailaddress1 = "email" } }
}
account {
  rule "name" { equals = { name = "account" } }
  on_none = "create"
}
mapping { firstname = "first" }`, `"create"
}
mapping`, []string{"needs the new account's columns"}, 0},
		{`table = "contact"
match {
  rule "email" { equals = { emailaddress1 = "email" } }
}
account {
  rule "name" { equals = { name = "account" } }
  default = { accountnumber = "'HOUSE'" }
}
mapping { firstname = "first" }`, `{ accountnumber = "'HOUSE'" }`, []string{`default without on_none = "default"`, `on_none is "unassociated"`}, 0},
		{`table = "contact"
match {
  rule "email" { equals = { emailaddress1 = "email" } }
}
account {
  rule "name" { equals = { name = "account" } }
  on_none = "default"
}
mapping { firstname = "first" }`, `"default"
}`, []string{"No default account", `default = { accountnumber = "'HOUSE'" }`}, 0},
		{`table = "contact"
match {
  rule "email" { equals = { emailaddress1 = "email" } }
}
account {
  rule "name" { equals = { name = "account" } }
  on_none = "default"
  default = { accountnumber = " " }
}
mapping { firstname = "first" }`, `" " }`, []string{"the expression for accountnumber is empty"}, 0},
		{`table = "contact"
match {
  rule "email" { equals = { emailaddress1 = "email" } }
}
account {
  rule "name" { equals = { name = "account" } }
  on_none = "default"
  default = { accountnumber = "upper(acount)" }
}
mapping { firstname = "first" }`, `"upper(acount)"`, []string{"unknown name acount"}, 7},
		{`table = "contact"
match {
  rule "email" { equals = { emailaddress1 = "email" } }
}
account {
  rule "name" { equals = { name = "account" } }
  on_none = "default"
  default = { accountnumber = "'HOUSE'" }
}
mapping {
  firstname        = "first"
  parentcustomerid = { lookup = "account", by = { accountnumber = "account" } }
}`, `{ lookup = "account", by`, []string{"set by the account block", `on_none = "default"`}, 0},
	}
	for _, c := range cases {
		src, diags := validate(t, nil, c.body+"\n", false)
		expectDiag(t, diags, at(src, c.needle, c.offset), c.parts...)
	}
}

// TestAccountDefaultMistakes: the default account's columns are checked
// against the account table, each at its file, line and column.
func TestAccountDefaultMistakes(t *testing.T) {
	srv := startEmulator(t)
	src, diags := validate(t, srv, `
  table = "contact"
  match {
    rule "email" {
      equals = { emailaddress1 = "email" }
    }
  }
  mapping {
    lastname = "last"
  }
  account {
    rule "name" {
      equals = { name = "account" }
    }
    on_none = "default"
    default = { acountnumber = "'HOUSE'", numberofemployees = "'many'" }
  }
`, true)
	expectDiag(t, diags, at(src, `acountnumber = "'HOUSE'"`, 15), "Unknown column", `"acountnumber"`, `Did you mean "accountnumber"`, "The default account's lookup searches account")
	expectDiag(t, diags, at(src, `"'many'"`, 0), "Type mismatch", "numberofemployees")
}
