package dynamics_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/sluicedata/sluice/plugins/internal/testhost"
	"github.com/sluicedata/sluice/sdk"
)

// What a sink with a match block tells the engine's sync and resume rules:
// its rows are identified by the columns its rules read, it cannot act on
// rows that left, and a run that resumes writes its rows again safely only
// when a rule would find the records the first write created.
func TestMatchBlockSyncAndResumeProperties(t *testing.T) {
	srv := startEmulator(t)
	cases := []struct {
		name       string
		match      string
		keys       []string
		idempotent bool
	}{
		{
			name: "rules over mapped columns",
			match: `rule "email" {
      equals = { emailaddress1 = "lower(trim(email))" }
    }
    rule "name" {
      equals = { firstname = "first", lastname = "last" }
    }`,
			keys: []string{"email", "first", "last"}, idempotent: true,
		},
		{
			name: "no rule over mapped columns only",
			match: `rule "name" {
      equals = { firstname = "first", "parentcustomerid_account/name" = "company" }
    }`,
			keys: []string{"company", "first"}, idempotent: false,
		},
		{
			name: "on_match create",
			match: `rule "email" {
      equals = { emailaddress1 = "lower(trim(email))" }
    }
    on_match = "create"`,
			keys: []string{"email"}, idempotent: false,
		},
		{
			name: "on_none skip",
			match: `rule "name" {
      equals = { firstname = "first", "parentcustomerid_account/name" = "company" }
    }
    on_none = "skip"`,
			keys: []string{"company", "first"}, idempotent: true,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := build(t, connection(srv)+`
  table = "contact"
  match {
    `+tc.match+`
  }
  mapping {
    emailaddress1 = "lower(trim(email))"
    firstname     = "first"
    lastname      = "last"
  }
`)
			if err != nil {
				t.Fatalf("build: %v", err)
			}
			defer s.Close(context.Background())
			offline := testhost.New(t)
			offline.IsOffline = true
			in := schemaOf(col{"email", text}, col{"first", text}, col{"last", text}, col{"company", text}, col{"title", text})
			if err := s.Open(context.Background(), offline, in); err != nil {
				t.Fatalf("offline open: %v", err)
			}
			if got := s.KeyColumns(); !slices.Equal(got, tc.keys) {
				t.Errorf("KeyColumns = %v, want %v", got, tc.keys)
			}
			if got := s.Idempotent(); got != tc.idempotent {
				t.Errorf("Idempotent = %v, want %v", got, tc.idempotent)
			}
			for _, a := range []sdk.LeaveAction{sdk.LeaveClear, sdk.LeaveDeactivate, sdk.LeaveDelete} {
				if reason := s.LeaveUnsupported(a); !strings.Contains(reason, "match block") {
					t.Errorf("LeaveUnsupported(%s) = %q", a, reason)
				}
			}
		})
	}
}
