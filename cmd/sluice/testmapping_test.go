package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluicedata/sluice/plugins/dynamics/emulator"
	"github.com/sluicedata/sluice/plugins/dynamics/emulator/emulatortest"
)

// TestTestMapping: test-mapping writes the first row that would create a
// record — not the first row, whose contact exists — as a new record, says
// which row it took, reads the record back, deletes it, and names the field
// that did not round-trip (a credit limit rounded to the four decimals
// money keeps); nothing else is written, and nothing is left behind. The
// same with a match block and with a key.
func TestTestMapping(t *testing.T) {
	for name, find := range map[string]string{
		"match": `match {
    rule "email" {
      equals = { emailaddress1 = "email" }
    }
  }
  mapping {
    emailaddress1 = "email"`,
		"key": `key = { emailaddress1 = "email" }
  mapping {`,
	} {
		t.Run(name, func(t *testing.T) {
			srv := emulatortest.Start(t)
			dataverseEnv(t, srv)
			if _, err := srv.Insert(context.Background(), "contact", map[string]any{"emailaddress1": "ada@example.com", "lastname": "Lovelace"}); err != nil {
				t.Fatal(err)
			}
			srv.ResetRequestLog()
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "people.csv"), []byte("email,first,last,credit\nada@example.com,Ada,Lovelace,1\nbob@example.com,Bob,Ray,1234.56789\ncat@example.com,Cat,Poe,2\n"), 0o644)
			src := `
source "csv" "people" {
  path = "` + filepath.Join(dir, "people.csv") + `"
}
sink "dynamics" "contacts" {
  input = source.people
  url   = env("DATAVERSE_URL")
  auth {
    tenant_id     = env("DATAVERSE_TENANT_ID")
    client_id     = env("DATAVERSE_CLIENT_ID")
    client_secret = env("DATAVERSE_CLIENT_SECRET")
    authority     = env("DATAVERSE_AUTHORITY")
    ca_file       = env("DATAVERSE_CA_FILE")
  }
  table = "contact"
  ` + find + `
    firstname     = "first"
    lastname      = "last"
    creditlimit   = "credit"
  }
}
`
			path := filepath.Join(dir, "pipeline.hcl")
			os.WriteFile(path, []byte(src), 0o644)
			code, out, errOut := sluice(context.Background(), "test-mapping", path)
			if code != exitFailed {
				t.Errorf("exit %d, want %d (a field did not round-trip)\n%s\n%s", code, exitFailed, out, errOut)
			}
			for _, want := range []string{"created contact", "from row 2, read it back and deleted it.",
				"Row 2 is the first row that would create a contact; the 1 before it would not (1 update).",
				"✓  emailaddress1", `"bob@example.com"`, "✓  lastname",
				"✗  creditlimit    1234.56789", "1234.5679", "rounded", "1 field did not round-trip: [creditlimit]"} {
				if !strings.Contains(out+errOut, want) {
					t.Errorf("the output lacks %q:\n%s\n%s", want, out, errOut)
				}
			}
			if n, _ := srv.Count("contact"); n != 1 {
				t.Errorf("%d contacts, want ada's only", n)
			}
			writes := map[string]int{}
			for _, l := range srv.RequestLog() {
				if l.Write && !l.InBatch {
					writes[l.Method]++
				}
			}
			if writes["POST"] != 1 || writes["DELETE"] != 1 || len(writes) != 2 {
				t.Errorf("writes: %v, want one create (a $batch) and one delete", writes)
			}
		})
	}
}

// TestTestMappingZoomInfo: test-mapping on pipelines/zoominfo-contacts.hcl
// against the matching fixture, whose first rows all find their record,
// tests row 8 — the first the plan creates a contact from — and leaves the
// CRM as it found it.
func TestTestMappingZoomInfo(t *testing.T) {
	repoRoot(t)
	f := emulatortest.StartFixture(t, "testdata/matching")
	dataverseEnv(t, f.Srv)
	before := crmState(t, f.Srv)
	f.Srv.ResetRequestLog()
	code, out, errOut := sluice(context.Background(), "test-mapping", "pipelines/zoominfo-contacts.hcl", "--var", "rejects="+filepath.Join(t.TempDir(), "rejects.csv"))
	if code != 0 {
		t.Errorf("exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"sink.contacts: created contact ", " from row 8, read it back and deleted it.",
		"Row 8 is the first row that would create a contact; the 7 before it would not (5 update, 1 unchanged, 1 deduplicated).",
		`✓  emailaddress1  "chef@tacos.example"`, `✓  lastname       "Unknown"`,
		"Note: parentcustomerid is not tested: no account matches name = '#1 Tacos', and a test creates none",
		"Every field round-tripped."} {
		if !strings.Contains(out, want) {
			t.Errorf("the output lacks %q:\n%s\n%s", want, out, errOut)
		}
	}
	if after := crmState(t, f.Srv); after != before {
		t.Errorf("the CRM changed:\nbefore %s\nafter  %s", before, after)
	}
	var writes []string
	for _, l := range f.Srv.RequestLog() {
		if l.Write && l.Operation != "batch" {
			writes = append(writes, l.Method+" "+l.Path)
		}
	}
	if len(writes) != 2 {
		t.Errorf("writes: %v, want the test contact's create and delete", writes)
	}

	// The first three rows only: none would create a contact.
	three := filepath.Join(t.TempDir(), "three.csv")
	data, err := os.ReadFile("testdata/matching/input.csv")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(three, []byte(strings.Join(strings.SplitAfter(string(data), "\n")[:4], "")), 0o644)
	f.Srv.ResetRequestLog()
	code, out, errOut = sluice(context.Background(), "test-mapping", "pipelines/zoominfo-contacts.hcl", "--var", "people="+three,
		"--var", "rejects="+filepath.Join(t.TempDir(), "rejects.csv"))
	want := "sink.contacts: no row would create a record: of the 3 rows that reached it, the plan says 2 update, 1 unchanged"
	if code != exitFailed || !strings.Contains(errOut, want) || !strings.Contains(errOut, "add such a row to the input") {
		t.Errorf("exit %d, want %d and %q\n%s\n%s", code, exitFailed, want, out, errOut)
	}
	for _, l := range f.Srv.RequestLog() {
		if l.Write {
			t.Errorf("nothing to test, but it wrote: %s %s", l.Method, l.Path)
		}
	}
	if after := crmState(t, f.Srv); after != before {
		t.Errorf("the CRM changed:\nbefore %s\nafter  %s", before, after)
	}
}

// crmState is every record of the fixture's tables, as text.
func crmState(t *testing.T, srv *emulator.Server) string {
	t.Helper()
	var b strings.Builder
	for _, table := range []string{"account", "contact", "lead"} {
		recs, err := srv.Records(table)
		if err != nil {
			t.Fatal(err)
		}
		data, err := json.Marshal(recs)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s %d: %s\n", table, len(recs), data)
	}
	return b.String()
}
