package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluicedata/sluice/plugins/dynamics/emulator/emulatortest"
)

// TestTestMapping: test-mapping writes the first row as a new record, reads
// it back, deletes it, and names the field that did not round-trip (a
// credit limit rounded to the four decimals money keeps); nothing else is
// written, and nothing is left behind.
func TestTestMapping(t *testing.T) {
	srv := emulatortest.Start(t)
	dataverseEnv(t, srv)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "people.csv"), []byte("email,first,last,credit\nada@example.com,Ada,Lovelace,1234.56789\nbob@example.com,Bob,Ray,1\n"), 0o644)
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
  match {
    rule "email" {
      equals = { emailaddress1 = "email" }
    }
  }
  mapping {
    emailaddress1 = "email"
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
	for _, want := range []string{"created contact", "and deleted it", "✓  emailaddress1", `"ada@example.com"`, "✓  lastname",
		"✗  creditlimit    1234.56789", "1234.5679", "rounded", "1 field did not round-trip: [creditlimit]"} {
		if !strings.Contains(out+errOut, want) {
			t.Errorf("the output lacks %q:\n%s\n%s", want, out, errOut)
		}
	}
	if n, _ := srv.Count("contact"); n != 0 {
		t.Errorf("%d contacts are left", n)
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
}
