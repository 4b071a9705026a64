package emulator_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/sluicedata/sluice/plugins/dynamics/emulator"
)

func TestTablesFileAddsKeysColumnsAndCustomTables(t *testing.T) {
	src := `
table "contact" {
  remove_keys = ["emailaddress1"]
  column "sluice_customerid" {
    type       = "string"
    max_length = 20
  }
  key "sluice_customerid" {
    columns = ["sluice_customerid"]
  }
}

table "sluice_membership" {
  display_name = "Membership"
  column "sluice_name" {
    type = "string"
  }
  column "sluice_tier" {
    type    = "picklist"
    options = { "Bronze" = 100000000, "Silver" = 100000001, "Gold" = 100000002 }
  }
  column "sluice_contactid" {
    type    = "lookup"
    targets = ["contact"]
  }
  column "sluice_points" {
    type = "decimal"
    precision = 3
  }
  column "sluice_since" {
    type   = "datetime"
    format = "date"
  }
  key "member" {
    columns = ["sluice_contactid", "sluice_tier"]
  }
}
`
	srv, c := start(t, withTablesHCL(t, src))
	expect(t, c.do("PATCH", "contacts(sluice_customerid='C-1')", map[string]any{"lastname": "Keyed"}), http.StatusNoContent)
	expect(t, c.do("GET", "contacts(emailaddress1='x@example.com')", nil), http.StatusBadRequest) // the default key was removed
	contactID := expect(t, c.do("GET", "contacts(sluice_customerid='C-1')", nil), http.StatusOK).json(t)["contactid"].(string)
	r := expect(t, c.do("POST", "sluice_memberships?$select=sluice_name,sluice_points,sluice_since,_sluice_contactid_value", map[string]any{
		"sluice_name": "m", "sluice_tier": 100000002, "sluice_points": 1.2345, "sluice_since": "2024-02-29T13:00:00Z",
		"sluice_contactid@odata.bind": "contacts(sluice_customerid='C-1')",
	}, "Prefer", "return=representation"), http.StatusCreated)
	got := r.json(t)
	if got["sluice_points"].(interface{ String() string }).String() != "1.235" || got["sluice_since"] != "2024-02-29" || got["_sluice_contactid_value"] != contactID {
		t.Fatalf("%s", r.body)
	}
	// a composite key containing a lookup is addressed with the lookup's _value name
	expect(t, c.do("GET", "sluice_memberships(_sluice_contactid_value="+contactID+",sluice_tier=100000002)", nil), http.StatusOK)
	// upserting by that key creates a record whose lookup comes from the URL
	expect(t, c.do("PATCH", "sluice_memberships(_sluice_contactid_value="+contactID+",sluice_tier=100000000)", map[string]any{"sluice_name": "bronze"}), http.StatusNoContent)
	got = expect(t, c.do("GET", "sluice_memberships(_sluice_contactid_value="+contactID+",sluice_tier=100000000)?$select=_sluice_contactid_value,sluice_name", nil), http.StatusOK).json(t)
	if got["_sluice_contactid_value"] != contactID || got["sluice_name"] != "bronze" {
		t.Fatalf("%v", got)
	}
	if n, _ := srv.Count("sluice_membership"); n != 2 {
		t.Fatal(n)
	}
	meta := expect(t, c.do("GET", "EntityDefinitions(LogicalName='sluice_membership')?$select=EntitySetName,PrimaryIdAttribute,PrimaryNameAttribute,IsCustomEntity", nil), http.StatusOK).json(t)
	if meta["EntitySetName"] != "sluice_memberships" || meta["PrimaryIdAttribute"] != "sluice_membershipid" || meta["PrimaryNameAttribute"] != "sluice_name" || meta["IsCustomEntity"] != true {
		t.Fatalf("%v", meta)
	}
	// the default tables have no decimal column; a declared one answers the Decimal cast with its precision
	decimals := expect(t, c.do("GET", "EntityDefinitions(LogicalName='sluice_membership')/Attributes/Microsoft.Dynamics.CRM.DecimalAttributeMetadata?$select=LogicalName,Precision", nil), http.StatusOK).values(t)
	if len(decimals) != 1 || decimals[0]["LogicalName"] != "sluice_points" || decimals[0]["Precision"] != json.Number("3") || decimals[0]["@odata.type"] != "#Microsoft.Dynamics.CRM.DecimalAttributeMetadata" {
		t.Fatalf("decimal attributes %v", decimals)
	}
}

func TestTablesFileErrorsSayWhere(t *testing.T) {
	cases := map[string]string{
		"table \"x\" {\ncolumn \"a\" {\n  type = \"strng\"\n}\n}\n":                                     "unknown type \"strng\"",
		"table \"x\" {\ncolumn \"a\" {\n  type    = \"lookup\"\n  targets = [\"nope\"]\n}\n}\n":         "targets unknown table \"nope\"",
		"table \"x\" {\nkey \"k\" {\n  columns = [\"missing\"]\n}\n}\n":                                 "uses unknown column \"missing\"",
		"table \"x\" {\ncolumn \"a\" {\n  type = \"memo\"\n}\nkey \"k\" {\n  columns = [\"a\"]\n}\n}\n": "cannot be part of an alternate key",
		"table \"x\" {\ncolumn \"a\" {\n  type = \"picklist\"\n}\n}\n":                                  "needs options",
		"table \"x\" {\nentity_set = \"contacts\"\n}\n":                                                 "share the entity set name",
		"table \"x\" {\ncolumn \"s\" {\n  type    = \"status\"\n  options = { \"A\" = 1 }\n}\n}\n":      "needs its state",
		"table \"x\" {\ncolumn \"a\" {\n  type     = \"string\"\n  required = \"sometimes\"\n}\n}\n":    "required must be one of",
		"table \"x\" {\ncolum \"a\" {\n  type = \"string\"\n}\n}\n":                                     "Unsupported block type",
		"table \"x\" {\ncolumn \"a\" {\n  type   = \"datetime\"\n  format = \"weekday\"\n}\n}\n":        "datetime format must be date or datetime",
		"table \"x\" {\ncolumn \"a\" {\n  type   = \"string\"\n  format = \"colour\"\n}\n}\n":           "format must be one of",
		"table \"x\" {\ncolumn \"a\" {\n  type = \"customer\"\n}\n}\n":                                  "needs targets",
		"table \"x\" {\ncolumn \"a\" {\n  type     = \"datetime\"\n  behavior = \"whenever\"\n}\n}\n":   "behavior must be one of",
		"table \"x\" {\ncolumn \"a\" {\n  type     = \"string\"\n  computed = [\"b\"]\n}\n}\n":          "uses unknown column \"b\"",
		"table \"x\" {\ncolumn \"a\" {\n  type    = \"lookup\"\n  targets = [\"x\"]\n}\n}\n":            "",
	}
	for src, want := range cases {
		tables, err := emulator.ParseTables([]byte(src), "bad.hcl")
		if err == nil {
			var srv *emulator.Server
			srv, err = emulator.Start(t.Context(), emulator.Options{Tables: tables})
			if err == nil {
				srv.Close()
			}
		}
		if want == "" {
			if err != nil {
				t.Errorf("%s: %v", src, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", src, err, want)
		}
		// where, once, as file:line:column like the pipeline's own mistakes (not HCL's "file:line,column-column")
		if err != nil && (!wherePattern.MatchString(err.Error()) || strings.Count(err.Error(), "bad.hcl:") != 1) {
			t.Errorf("%s: error %v does not say where as bad.hcl:line:column, once", src, err)
		}
	}
	// the position is the block's: the column "a" block on line 2 of the first case
	_, err := emulator.Start(t.Context(), emulator.Options{Tables: mustParseTables(t, "table \"x\" {\ncolumn \"a\" {\n  type = \"strng\"\n}\n}\n")})
	if err == nil || !strings.Contains(err.Error(), `bad.hcl:2:1: table "x": column "a": unknown type "strng"`) {
		t.Errorf("error %v", err)
	}
}

var wherePattern = regexp.MustCompile(`bad\.hcl:\d+:\d+: `)

func mustParseTables(t *testing.T, src string) *emulator.Tables {
	t.Helper()
	tables, err := emulator.ParseTables([]byte(src), "bad.hcl")
	if err != nil {
		t.Fatal(err)
	}
	return tables
}
