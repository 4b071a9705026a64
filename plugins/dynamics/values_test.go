package dynamics_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sluicedata/sluice/plugins/dynamics/emulator"
	"github.com/sluicedata/sluice/plugins/dynamics/emulator/emulatortest"
	"github.com/sluicedata/sluice/plugins/internal/testhost"
)

var memberInput = schemaOf(col{"code", text}, col{"region", text}, col{"tier", text}, col{"tiernum", whole},
	col{"interests", text}, col{"joined", stamp}, col{"born", text}, col{"points", whole}, col{"score", real}, col{"active", flag})

const memberMapping = `
table = "sluice_member"
key   = { sluice_code = "code", sluice_region = "region" }
`

func TestOptionLabelsBecomeValues(t *testing.T) {
	srv := startEmulator(t)
	host := testhost.New(t)
	s := open(t, host, memberInput, connection(srv)+memberMapping+`
mapping {
  sluice_tier      = "tier ?? tiernum"
  sluice_interests = "interests"
}
`)
	res := write(t, s, record(host.Mem, memberInput,
		[]any{"a", "eu", "Gold", nil, "Sailing;Chess", nil, nil, nil, nil, nil},
		[]any{"b", "eu", "  silver ", nil, "cooking, Sailing, cooking", nil, nil, nil, nil, nil},
		[]any{"c", "eu", nil, 100000000, "2", nil, nil, nil, nil, nil},
		[]any{"d", "eu", "Platinum", nil, nil, nil, nil, nil, nil, nil},
		[]any{"e", "eu", nil, 7, nil, nil, nil, nil, nil, nil},
		[]any{"f", "eu", "Gold", nil, "Sailing;Knitting", nil, nil, nil, nil, nil},
	))
	rejects := rejectsByRow(res.Rejects)
	if len(rejects) != 3 {
		t.Fatalf("rejects %+v, want rows 3, 4 and 5", res.Rejects)
	}
	mustContain(t, "unknown label", rejects[3].Message, `"Platinum" is not one of its options`, "100000002 Gold")
	mustContain(t, "unknown value", rejects[4].Message, "7 is not one of its option values")
	mustContain(t, "unknown choice", rejects[5].Message, `"Knitting"`)
	for _, r := range res.Rejects {
		if r.Code != "dynamics.option" {
			t.Errorf("row %d: code %s", r.Row, r.Code)
		}
	}
	got := records(t, srv, "sluice_member", "sluice_code")
	for code, want := range map[string][2]string{"a": {"100000002", "1,2"}, "b": {"100000001", "3,1"}, "c": {"100000000", "2"}} {
		r := got[code]
		if fmt.Sprint(r["sluice_tier"]) != want[0] || fmt.Sprint(r["sluice_interests"]) != want[1] {
			t.Errorf("%s: tier %v interests %v, want %v", code, r["sluice_tier"], r["sluice_interests"], want)
		}
	}
	if len(got) != 3 {
		t.Errorf("%d members, want 3", len(got))
	}
}

func TestStatusLabelMovesTheState(t *testing.T) {
	srv := startEmulator(t)
	host := testhost.New(t)
	schema := schemaOf(col{"email", text}, col{"status", text})
	s := open(t, host, schema, connection(srv)+`
table = "contact"
key   = { emailaddress1 = "email" }
mapping {
  statuscode = "status"
}
`)
	write(t, s, record(host.Mem, schema, []any{"x@example.com", "Inactive"}))
	r := records(t, srv, "contact", "emailaddress1")["x@example.com"]
	if fmt.Sprint(r["statuscode"]) != "2" || fmt.Sprint(r["statecode"]) != "1" {
		t.Errorf("status %v state %v, want 2 and 1", r["statuscode"], r["statecode"])
	}
}

func TestValuesAreConvertedOrTheRowRejected(t *testing.T) {
	srv := startEmulator(t)
	host := testhost.New(t)
	s := open(t, host, memberInput, connection(srv)+memberMapping+`
mapping {
  sluice_joined   = "joined"
  sluice_birthday = "born"
  sluice_points   = "points"
  sluice_score    = "score"
  sluice_active   = "active"
}
`)
	joined := time.Date(2024, 5, 1, 12, 30, 15, 0, time.FixedZone("CEST", 2*3600))
	res := write(t, s, record(host.Mem, memberInput,
		[]any{"ok", "eu", nil, nil, nil, joined, "1990-07-14", 12, 2.5, true},
		[]any{"ok2", "eu", nil, nil, nil, nil, "1990-07-14T23:30:00-02:00", nil, nil, false},
		[]any{"date", "eu", nil, nil, nil, nil, "14/07/1990", nil, nil, nil},
		[]any{"range", "eu", nil, nil, nil, nil, nil, 2_000_000, nil, nil},
		[]any{"old", "eu", nil, nil, nil, time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC), nil, nil, nil, nil},
	))
	rejects := rejectsByRow(res.Rejects)
	if len(rejects) != 3 {
		t.Fatalf("rejects %+v", res.Rejects)
	}
	mustContain(t, "bad date", rejects[2].Message, "sluice_birthday", `"14/07/1990" is not a date`)
	mustContain(t, "out of range", rejects[3].Message, "sluice_points", "2000000 is outside", "0 to 1000000")
	mustContain(t, "too old", rejects[4].Message, "1753")
	got := records(t, srv, "sluice_member", "sluice_code")
	ok := got["ok"]
	if ok["sluice_joined"] != "2024-05-01T10:30:15Z" || ok["sluice_birthday"] != "1990-07-14" || fmt.Sprint(ok["sluice_points"]) != "12" ||
		fmt.Sprint(ok["sluice_score"]) != "2.5" || ok["sluice_active"] != true {
		t.Errorf("ok: %v", ok)
	}
	if got["ok2"]["sluice_birthday"] != "1990-07-15" {
		t.Errorf("a timestamp for a date-only column is taken in UTC: %v", got["ok2"]["sluice_birthday"])
	}
}

// ledgerTables is a table with the column types the member table lacks:
// big integers, decimals, multiline text and a lookup with one target.
const ledgerTables = `
table "sluice_ledger" {
  column "sluice_ref" {
    type       = "string"
    max_length = 20
  }
  column "sluice_sequence" {
    type = "bigint"
  }
  column "sluice_amount" {
    type      = "decimal"
    precision = 2
    min       = -1000
    max       = 1000
  }
  column "sluice_notes" {
    type       = "memo"
    max_length = 12
  }
  column "sluice_contactid" {
    type    = "lookup"
    targets = ["contact"]
  }
  key "ref" {
    columns = ["sluice_ref"]
  }
}
`

func TestBigIntDecimalMemoAndSingleTargetLookups(t *testing.T) {
	tables, err := emulator.ParseTables([]byte(ledgerTables), "tables.hcl")
	if err != nil {
		t.Fatal(err)
	}
	srv := emulatortest.Start(t, emulatortest.WithTables(tables))
	host := testhost.New(t)
	contact, err := srv.Insert(t.Context(), "contact", map[string]any{"lastname": "Owner", "emailaddress1": "owner@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	schema := schemaOf(col{"ref", text}, col{"seq", whole}, col{"amount", real}, col{"notes", text}, col{"contact", text})
	s := open(t, host, schema, connection(srv)+`
table = "sluice_ledger"
key   = { sluice_ref = "ref" }
mapping {
  sluice_sequence  = "seq"
  sluice_amount    = "amount"
  sluice_notes     = "notes"
  sluice_contactid = "contact"
}
`)
	res := write(t, s, record(host.Mem, schema,
		[]any{"ok", 9_007_199_254_740_993, -999.25, "two\nlines", "{" + strings.ToUpper(contact[0]) + "}"},
		[]any{"amount", 1, 1000.5, nil, nil},
		[]any{"notes", 1, 1.0, "thirteen char", nil},
		[]any{"lookup", 1, 1.0, nil, "not-a-guid"},
	))
	rejects := rejectsByRow(res.Rejects)
	if len(rejects) != 3 {
		t.Fatalf("rejects %+v, want rows 1, 2 and 3", res.Rejects)
	}
	mustContain(t, "decimal out of range", rejects[1].Message, "sluice_amount", "1000.5 is outside", "-1000 to 1000")
	mustContain(t, "memo too long", rejects[2].Message, "sluice_notes", "13 characters", "at most 12")
	for row, code := range map[int]string{1: "dynamics.value", 2: "dynamics.value", 3: "dynamics.lookup"} {
		if rejects[row].Code != code {
			t.Errorf("row %d: code %q, want %s", row, rejects[row].Code, code)
		}
	}
	got := records(t, srv, "sluice_ledger", "sluice_ref")
	ok := got["ok"]
	if len(got) != 1 || fmt.Sprint(ok["sluice_sequence"]) != "9007199254740993" || fmt.Sprint(ok["sluice_amount"]) != "-999.25" ||
		ok["sluice_notes"] != "two\nlines" || ok["_sluice_contactid_value"] != contact[0] {
		t.Errorf("ledger records %v", got)
	}
}

func TestMultiSelectChoicesFromAList(t *testing.T) {
	srv := startEmulator(t)
	host := testhost.New(t)
	s := open(t, host, memberInput, connection(srv)+memberMapping+`
mapping {
  sluice_interests = "interests == 'numbers' ? [3, 1] : ['Chess', interests]"
}
`)
	res := write(t, s, record(host.Mem, memberInput,
		[]any{"a", "eu", nil, nil, "Cooking", nil, nil, nil, nil, nil},
		[]any{"b", "eu", nil, nil, "numbers", nil, nil, nil, nil, nil},
		[]any{"c", "eu", nil, nil, "Knitting", nil, nil, nil, nil, nil},
	))
	if len(res.Rejects) != 1 || res.Rejects[0].Row != 2 || res.Rejects[0].Code != "dynamics.option" {
		t.Fatalf("rejects %+v, want row 2 (Knitting) as dynamics.option", res.Rejects)
	}
	got := records(t, srv, "sluice_member", "sluice_code")
	for code, want := range map[string]string{"a": "2,3", "b": "3,1"} {
		if v := fmt.Sprint(got[code]["sluice_interests"]); v != want {
			t.Errorf("%s: interests %s, want %s", code, v, want)
		}
	}
}
