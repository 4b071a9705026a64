package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluicedata/sluice/plugins/dynamics/emulator/emulatortest"
)

// dynamicsPipeline writes a pipeline that upserts a CSV file's rows into
// the emulator's contacts, with its connection in variables.
func dynamicsPipeline(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "people.csv"), []byte("email,first\nada@example.com,Ada\n"), 0o644)
	src := `
variable "url" {}
variable "tenant_id" {}
variable "client_id" {}
variable "authority" {}
variable "ca_file" {}
variable "client_secret" {
  sensitive = true
}
source "csv" "people" {
  path = "PEOPLE"
}
sink "dynamics" "contacts" {
  input = source.people
  url   = var.url
  auth {
    tenant_id     = var.tenant_id
    client_id     = var.client_id
    client_secret = var.client_secret
    authority     = var.authority
    ca_file       = var.ca_file
  }
  table = "contact"
  key   = { emailaddress1 = "lower(email)" }
  mapping {
    firstname = "first"
  }
}
`
	src = strings.Replace(src, "PEOPLE", filepath.Join(dir, "people.csv"), 1)
	path := filepath.Join(dir, "pipeline.hcl")
	os.WriteFile(path, []byte(src), 0o644)
	return path
}

func TestCheckReportsEachStepAndAdvice(t *testing.T) {
	srv := emulatortest.Start(t)
	path := dynamicsPipeline(t)
	vars := func(secret string) []string {
		return []string{"--var", "url=" + srv.URL(), "--var", "tenant_id=" + srv.TenantID, "--var", "client_id=" + srv.ClientID,
			"--var", "authority=" + srv.Authority(), "--var", "ca_file=" + srv.CAFile(), "--var", "client_secret=" + secret}
	}
	code, out, errOut := sluice(context.Background(), append([]string{"check", path}, vars(srv.ClientSecret)...)...)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"sink.contacts (dynamics): ok", "✓ token", "✓ WhoAmI", "✓ table contact", "✓ mapping", "1 connection check passed."} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if n, _ := srv.Count("contact"); n != 0 {
		t.Errorf("check wrote %d contacts", n)
	}

	code, out, errOut = sluice(context.Background(), append([]string{"check", path}, vars("not-the-secret")...)...)
	if code != exitFailed {
		t.Errorf("exit %d, want %d", code, exitFailed)
	}
	for _, want := range []string{"sink.contacts (dynamics): FAILED", "✗ token", "What to do: The client secret is wrong"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out+errOut, "not-the-secret") {
		t.Error("the secret is in the output")
	}
}
