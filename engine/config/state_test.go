package config_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/sluicedata/sluice/engine/config"
)

// The state URL usually comes from a sensitive variable: it is decoded, and
// counted among the values never shown.
func TestStateURLFromASensitiveVariable(t *testing.T) {
	url := "postgres://sync:s3cret@db.internal/state"
	p := mustParse(t, `
variable "state_url" {
  default   = env("STATE_URL")
  sensitive = true
}
state {
  backend = "postgres"
  url     = var.state_url
}
source "csv" "in" { path = "in.csv" }
`, config.Inputs{LookupEnv: env(map[string]string{"STATE_URL": url})})
	if p.State.Backend != "postgres" || p.State.URL != url {
		t.Errorf("state: %+v", p.State)
	}
	if !slices.Contains(p.SensitiveValues(), url) {
		t.Errorf("the URL is not among the sensitive values")
	}
	_, diags := parse(t, `
state {
  backend = "postgres"
  url     = ["a"]
}
`, config.Inputs{})
	if !strings.Contains(text(diags), "url must be a string") {
		t.Errorf("a list as url: %s", text(diags))
	}
}
