package dynamics_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/hashicorp/hcl/v2"

	"github.com/sluicedata/sluice/engine"
	"github.com/sluicedata/sluice/plugins/dynamics"
	"github.com/sluicedata/sluice/plugins/dynamics/emulator"
	memplugin "github.com/sluicedata/sluice/plugins/memory"
)

// validate validates a pipeline that feeds input rows to a dynamics sink
// with body, online or not, and returns its diagnostics.
func validate(t *testing.T, srv *emulator.Server, body string, online bool) (string, *engine.Diagnostics) {
	t.Helper()
	store := memplugin.NewStore()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() {
		store.Clear()
		mem.AssertSize(t, 0)
	})
	rec := record(mem, contactInput)
	store.Put("in", contactInput, rec)
	rec.Release()
	eng, err := engine.New(engine.WithPlugins(append(store.Plugins(), dynamics.Plugin)...), engine.WithAllocator(mem))
	if err != nil {
		t.Fatal(err)
	}
	conn := `url = "https://nowhere.invalid"
auth {
  tenant_id     = "t"
  client_id     = "c"
  client_secret = "s"
}`
	if srv != nil {
		conn = connection(srv)
	}
	src := "source \"memory\" \"in\" { table = \"in\" }\n\nsink \"dynamics\" \"crm\" {\n  input = source.in\n" + conn + "\n" + body + "}\n"
	p, err := eng.Parse(map[string][]byte{"p.hcl": []byte(src)}, engine.Inputs{LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	err = p.Validate(context.Background(), engine.ValidateOptions{Online: online})
	if err == nil {
		return src, nil
	}
	var diags *engine.Diagnostics
	if !errors.As(err, &diags) {
		t.Fatalf("validate: %v", err)
	}
	return src, diags
}

// at is the position of the n-th character of the first occurrence of
// needle in src, as "p.hcl:line:column".
func at(src, needle string, offset int) string {
	i := strings.Index(src, needle)
	if i < 0 {
		return "(" + needle + " not in the pipeline)"
	}
	i += offset
	line := strings.Count(src[:i], "\n") + 1
	col := i - strings.LastIndex(src[:i], "\n")
	return fmt.Sprintf("p.hcl:%d:%d", line, col)
}

// expectDiag checks that diags hold an error at pos whose text has every
// part.
func expectDiag(t *testing.T, diags *engine.Diagnostics, pos string, parts ...string) {
	t.Helper()
	if diags == nil {
		t.Errorf("no diagnostics; want one at %s mentioning %q", pos, parts)
		return
	}
	for _, d := range diags.Items() {
		text := engine.Position(d) + d.Summary + ": " + d.Detail
		if !strings.HasPrefix(text, pos+":") {
			continue
		}
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(text, p)
		}
		if ok {
			return
		}
	}
	t.Errorf("no diagnostic at %s mentioning %q in:\n%s", pos, parts, diags.Error())
}

func TestMappingMistakesAreReportedAtTheirPosition(t *testing.T) {
	srv := startEmulator(t)
	long := strings.Repeat("x", 101)
	src, diags := validate(t, srv, `
  table = "contact"
  key   = { emailaddress1 = "lower(email)" }
  mapping {
    telephon1                  = "first"
    fullname                   = "first + ' ' + last"
    numberofchildren           = "first"
    preferredcontactmethodcode = "'Pigeon'"
    jobtitle                   = "'`+long+`'"
    firstname                  = "frist"
    parentcustomerid_account   = "account"
    lastname                   = { lookup = "account", id = "account" }
  }
`, true)
	expectDiag(t, diags, at(src, `"first"`, 0), "Unknown column", `"telephon1"`, `Did you mean "telephone1"`)
	expectDiag(t, diags, at(src, `"first + ' '`, 0), "read-only", "fullname")
	expectDiag(t, diags, at(src, `numberofchildren           = "first"`, 29), "Type mismatch", "numberofchildren", "int(")
	expectDiag(t, diags, at(src, `"'Pigeon'"`, 1), "Value does not fit", `"Pigeon" is not one of its options`, "2 Email")
	expectDiag(t, diags, at(src, `"'xxx`, 1), "Value does not fit", "101 characters", "at most 100")
	expectDiag(t, diags, at(src, `"frist"`, 1), "unknown name frist", `Did you mean "first"`)
	expectDiag(t, diags, at(src, `"account"`, 0), "navigation property of the lookup parentcustomerid")
	expectDiag(t, diags, at(src, `{ lookup = "account", id`, 0), "Not a lookup column", "lastname")
}

// TestColumnsValidForCreateOnlyDependOnTheOperation checks IsValidForCreate
// and IsValidForUpdate against the operation: overriddencreatedon can be set
// on a new record only, so an update cannot write it (an error) and an
// upsert writes it only when it creates (a warning).
func TestColumnsValidForCreateOnlyDependOnTheOperation(t *testing.T) {
	srv := startEmulator(t)
	src, diags := validate(t, srv, `
  table     = "contact"
  operation = "update"
  key       = { emailaddress1 = "email" }
  mapping {
    overriddencreatedon = "birthday"
  }
`, true)
	expectDiag(t, diags, at(src, `overriddencreatedon = "birthday"`, 22), "read-only", "contact.overriddencreatedon cannot be changed on an existing record")

	// An upsert only warns; a mistake beside it makes validation return
	// its diagnostics, warnings included.
	src, diags = validate(t, srv, `
  table     = "contact"
  key       = { emailaddress1 = "email" }
  mapping {
    overriddencreatedon = "birthday"
    telephon1           = "first"
  }
`, true)
	expectDiag(t, diags, at(src, `overriddencreatedon = "birthday"`, 22), "Column set on create only", "upserts that update a record leave it as it is")
	if diags != nil {
		for _, d := range diags.Items() {
			if strings.Contains(d.Summary+d.Detail, "overriddencreatedon") && d.Severity == hcl.DiagError {
				t.Errorf("an upsert may write a create-only column, but got an error: %s", d.Detail)
			}
		}
	}
}

func TestKeysAndLookupsAreCheckedAgainstTheDefinition(t *testing.T) {
	srv := startEmulator(t)
	src, diags := validate(t, srv, `
  table = "contact"
  key   = { lastname = "last" }
  mapping {
    firstname        = "first"
    parentcustomerid = { lookup = "account", by = { name = "account" } }
    originatingleadid = { lookup = "account", id = "account" }
    ownerid          = "account"
  }
`, true)
	expectDiag(t, diags, at(src, `{ lastname`, 0), "Not a key of the table", "emailaddress1", "Keys")
	expectDiag(t, diags, at(src, `{ name = "account" }`, 0), "Not a key of the target table", "accountnumber")
	expectDiag(t, diags, at(src, `"account", id`, 0), "points to lead, not account")
	expectDiag(t, diags, at(src, `ownerid          = "account"`, 19), "Lookup target needed", "systemuser or team")
}

func TestUnknownTableSuggestsTheClosest(t *testing.T) {
	srv := startEmulator(t)
	src, diags := validate(t, srv, `
  table   = "contat"
  key     = { emailaddress1 = "email" }
  mapping {
    firstname = "first"
  }
`, true)
	expectDiag(t, diags, at(src, `"contat"`, 0), `no table with logical name "contat"`, `did you mean "contact"`)
}

func TestOfflineValidationChecksExpressionsWithoutConnecting(t *testing.T) {
	src, diags := validate(t, nil, `
  table   = "contact"
  key     = { emailaddress1 = "lower(emial)" }
  mapping {
    firstname = "first"
    telephon1 = "first"
  }
`, false)
	expectDiag(t, diags, at(src, `"lower(emial)"`, 7), "unknown name emial", `Did you mean "email"`)
	if diags != nil && len(diags.Items()) != 1 {
		t.Errorf("offline validation reported more than the expression (it cannot know the columns):\n%s", diags.Error())
	}
	_, diags = validate(t, nil, `
  table   = "contact"
  key     = { emailaddress1 = "lower(email)" }
  mapping {
    firstname = "first"
  }
`, false)
	if diags != nil {
		t.Errorf("a valid pipeline failed offline validation, which must not connect:\n%s", diags.Error())
	}
}

func TestConfigurationMistakesAreReportedAtTheirAttribute(t *testing.T) {
	cases := []struct {
		body   string
		needle string
		parts  []string
	}{
		{"table = \"contact\"\noperation = \"merge\"\nkey = { emailaddress1 = \"email\" }\nmapping {\n firstname = \"first\"\n}\n", `"merge"`, []string{"not one of upsert, create, update, delete"}},
		{"table = \"contact\"\nmapping {\n firstname = \"first\"\n}\n", `"dynamics" "crm"`, []string{"upsert needs a key"}},
		{"table = \"contact\"\noperation = \"create\"\nkey = { emailaddress1 = \"email\" }\nmapping {\n firstname = \"first\"\n}\n", `{ emailaddress1`, []string{"create makes new records"}},
		{"table = \"contact\"\nkey = { emailaddress1 = \"email\" }\nmapping {\n emailaddress1 = \"email\"\n}\n", "\"email\"\n}", []string{"both in key and mapping"}},
		{"table = \"contact\"\nkey = { emailaddress1 = \"email\" }\nmapping {\n parentcustomerid = { lookup = \"account\" }\n}\n", `{ lookup`, []string{"exactly one of by"}},
		{"table = \"contact\"\nkey = { emailaddress1 = \"email\" }\nmapping {\n parentcustomerid = { lookup = \"account\", by = {accountnumber = \"account\"}, update = \"never\" }\n}\n", `"never"`, []string{"needs a match block"}},
		{"table = \"contact\"\noperation = \"delete\"\nkey = { emailaddress1 = \"email\" }\nmapping {\n firstname = \"first\"\n}\n", "mapping {", []string{"delete writes no columns"}},
		{"table = \"contact\"\nkey = { emailaddress1 = \"email\" }\nmax_concurrency = 99\nmapping {\n firstname = \"first\"\n}\n", "99", []string{"between 1 and 52"}},
	}
	for _, c := range cases {
		src, diags := validate(t, nil, c.body, false)
		pos := at(src, c.needle, 0)
		if c.needle == `"dynamics" "crm"` {
			pos = at(src, `operation`, 0) // no operation written: the block
			pos = at(src, `sink "dynamics"`, 0)
		}
		expectDiag(t, diags, pos, c.parts...)
	}
}

func TestUrlAndCredentialsAreCheckedWhenRead(t *testing.T) {
	for _, c := range []struct {
		conn  string
		parts []string
	}{
		{`url = "contoso.crm.dynamics.com"`, []string{"Invalid environment URL"}},
		{`url = "http://contoso.crm.dynamics.com"`, []string{"must use https"}},
		{`url = "https://contoso.crm.dynamics.com/api/data/v9.2/"` + "\napi_version = \"9.1\"", []string{"contradicts"}},
		{`url = "https://contoso.crm.dynamics.com/main.aspx"`, []string{"unexpected path"}},
	} {
		_, err := build(t, c.conn+`
auth {
  tenant_id     = "t"
  client_id     = "c"
  client_secret = "s"
}
table = "contact"
key   = { emailaddress1 = "email" }
mapping {
  firstname = "first"
}
`)
		if err == nil {
			t.Errorf("%s was accepted", c.conn)
			continue
		}
		mustContain(t, "error", err.Error(), c.parts...)
	}
	_, err := build(t, `url = "https://contoso.crm.dynamics.com"
auth {
  tenant_id        = "t"
  client_id        = "c"
  client_secret    = "s"
  certificate_file = "app.pfx"
}
table = "contact"
key   = { emailaddress1 = "email" }
mapping {
  firstname = "first"
}
`)
	if err == nil || !strings.Contains(err.Error(), "give one credential") {
		t.Errorf("two credentials: %v", err)
	}
}
