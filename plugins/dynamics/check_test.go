package dynamics_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sluicedata/sluice/plugins/dynamics/emulator"
	"github.com/sluicedata/sluice/plugins/dynamics/emulator/emulatortest"
	"github.com/sluicedata/sluice/plugins/internal/testhost"
	"github.com/sluicedata/sluice/sdk"
)

// check opens a sink offline, as the engine does for `sluice check`, and
// runs its connection check.
func check(t *testing.T, body string) []sdk.CheckStep {
	t.Helper()
	s, err := build(t, body)
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	defer s.Close(context.Background())
	offline := testhost.New(t)
	offline.IsOffline = true
	if err := s.Open(context.Background(), offline, schemaOf(col{"email", text}, col{"first", text})); err != nil {
		t.Fatalf("offline open: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return s.Check(ctx, testhost.New(t))
}

// expectFailure checks that the last step is the failed one named, with
// detail and advice mentioning the parts.
func expectFailure(t *testing.T, steps []sdk.CheckStep, name string, parts ...string) {
	t.Helper()
	if len(steps) == 0 {
		t.Fatal("no steps")
	}
	last := steps[len(steps)-1]
	if last.OK || last.Name != name {
		t.Fatalf("steps %+v: want a failed %q last", steps, name)
	}
	for _, s := range steps[:len(steps)-1] {
		if !s.OK {
			t.Errorf("step %+v failed before the last", s)
		}
	}
	mustContain(t, "detail and advice", last.Detail+" | "+last.Advice, parts...)
}

func TestCheckPassesForAWorkingConnection(t *testing.T) {
	srv := startEmulator(t)
	steps := check(t, connection(srv)+`
table = "contact"
key   = { emailaddress1 = "email" }
mapping {
  firstname = "first"
}
`)
	var names []string
	for _, s := range steps {
		names = append(names, s.Name)
		if !s.OK {
			t.Errorf("step %+v failed", s)
		}
	}
	if got := strings.Join(names, ","); got != "token,WhoAmI,table contact,read contact,bulk messages,mapping" {
		t.Errorf("steps %s", got)
	}
	mustContain(t, "table step", steps[2].Detail, "entity set contacts", "alternate key", "emailaddress1", "active")
	mustContain(t, "bulk step", steps[4].Detail, "UpsertMultiple available")
}

func TestCheckTurnsFailuresIntoAdvice(t *testing.T) {
	srv := startEmulator(t, emulatortest.WithUsers(
		emulator.AppUser{Name: "# no app user", NotInEnvironment: true},
		emulator.AppUser{Name: "# no contacts", Deny: map[string][]emulator.Privilege{"contact": {emulator.PrivilegeRead}}},
		emulator.AppUser{Name: "# expired secret", SecretExpired: true},
	))
	users := srv.Users()
	as := func(u emulator.AppUser) string {
		return strings.NewReplacer(srv.ClientID, u.ClientID, srv.ClientSecret, u.ClientSecret).Replace(connection(srv))
	}
	mapping := `
table = "contact"
key   = { emailaddress1 = "email" }
mapping {
  firstname = "first"
}
`
	t.Run("wrong secret", func(t *testing.T) {
		steps := check(t, strings.Replace(connection(srv), srv.ClientSecret, "nope", 1)+mapping)
		expectFailure(t, steps, "token", "AADSTS7000215", "client secret is wrong")
	})
	t.Run("expired secret", func(t *testing.T) {
		steps := check(t, as(users[2])+mapping)
		expectFailure(t, steps, "token", "AADSTS7000222", "client secret has expired", "Certificates & secrets", users[2].ClientID)
	})
	t.Run("no application user", func(t *testing.T) {
		steps := check(t, as(users[0])+mapping)
		expectFailure(t, steps, "WhoAmI", "403", "no application user", "Application users", "New app user", users[0].ClientID)
	})
	t.Run("missing privilege", func(t *testing.T) {
		steps := check(t, as(users[1])+mapping)
		expectFailure(t, steps, "read contact", "prvReadContact", "Security roles", "contact")
	})
	t.Run("wrong environment URL", func(t *testing.T) {
		steps := check(t, strings.Replace(connection(srv), fmt.Sprintf("url = %q", srv.URL()), fmt.Sprintf("url = %q", srv.URL()+"/api/data/v8.0"), 1)+mapping)
		expectFailure(t, steps, "WhoAmI", "404", "no Dataverse Web API", "Environment URL")
	})
	t.Run("untrusted certificate", func(t *testing.T) {
		steps := check(t, strings.Replace(connection(srv), fmt.Sprintf("ca_file       = %q", srv.CAFile()), "", 1)+mapping)
		expectFailure(t, steps, "token", "certificate", "auth.ca_file")
	})
	t.Run("environment unknown to the tenant", func(t *testing.T) {
		steps := check(t, strings.Replace(connection(srv), fmt.Sprintf("url = %q", srv.URL()), `url = "https://127.0.0.1:1"`, 1)+mapping)
		expectFailure(t, steps, "token", "AADSTS500011", "has no Dataverse environment at https://127.0.0.1:1")
	})
	t.Run("nothing listening", func(t *testing.T) {
		steps := check(t, strings.Replace(connection(srv), srv.Authority(), "https://127.0.0.1:1/"+srv.TenantID, 1)+mapping)
		expectFailure(t, steps, "token", "Nothing accepts connections at 127.0.0.1:1")
	})
	t.Run("host that does not exist", func(t *testing.T) {
		steps := check(t, strings.Replace(connection(srv), srv.Authority(), "https://login.nowhere.invalid/"+srv.TenantID, 1)+mapping)
		expectFailure(t, steps, "token", "login.nowhere.invalid does not exist (DNS)")
	})
	t.Run("not a key", func(t *testing.T) {
		steps := check(t, connection(srv)+strings.Replace(mapping, "emailaddress1", "lastname", 1))
		expectFailure(t, steps, "table contact", "lastname is not an alternate key", "Keys → New key")
	})
	t.Run("unknown table", func(t *testing.T) {
		steps := check(t, connection(srv)+strings.Replace(mapping, `"contact"`, `"contacts"`, 1))
		expectFailure(t, steps, "table contacts", `did you mean "contact"`, "logical name")
	})
	t.Run("mapping", func(t *testing.T) {
		steps := check(t, connection(srv)+strings.Replace(mapping, "firstname", "firstnam", 1))
		expectFailure(t, steps, "mapping", `Did you mean "firstname"`, "sluice validate --online")
	})
}

// TestCheckExplainsATokenTheEnvironmentRefuses covers the 401 from the Web
// API (not from the authority): the app got a token, but the environment
// refuses it — the app registration is in another tenant, or url is not the
// environment's own. A single refusal is survived with a new token; a
// persistent one ends in advice.
func TestCheckExplainsATokenTheEnvironmentRefuses(t *testing.T) {
	mapping := `
table = "contact"
key   = { emailaddress1 = "email" }
mapping {
  firstname = "first"
}
`
	refuse := func(count int) emulatortest.Option {
		return withFaults(emulator.Fault{Kind: emulator.FaultError, Status: 401, Path: "WhoAmI", Count: count})
	}
	t.Run("once", func(t *testing.T) {
		srv := startEmulator(t, refuse(1))
		for _, s := range check(t, connection(srv)+mapping) {
			if !s.OK {
				t.Errorf("step %+v failed: one refused token must be replaced and the request sent again", s)
			}
		}
		var whoAmI []int
		for _, e := range srv.RequestLog() {
			if strings.Contains(e.Path, "WhoAmI") {
				whoAmI = append(whoAmI, e.Status)
			}
		}
		if len(whoAmI) != 2 || whoAmI[0] != 401 || whoAmI[1] != 200 {
			t.Errorf("WhoAmI answers %v, want 401 then 200", whoAmI)
		}
	})
	t.Run("always", func(t *testing.T) {
		srv := startEmulator(t, refuse(0))
		steps := check(t, connection(srv)+mapping)
		expectFailure(t, steps, "WhoAmI", "HTTP 401", "refused the app's token", "exactly as Power Platform admin center", "environment's tenant")
	})
}

// TestEnvironmentURLMayIncludeTheWebAPIPath: url is accepted as the admin
// center shows it or as the Web API's address; the token is asked for the
// environment either way.
func TestEnvironmentURLMayIncludeTheWebAPIPath(t *testing.T) {
	srv := startEmulator(t)
	mapping := `
table = "contact"
key   = { emailaddress1 = "email" }
mapping {
  firstname = "first"
}
`
	for _, url := range []string{srv.URL() + "/api/data/v9.2/", srv.URL() + "/api/data/v9.2", srv.URL() + "/"} {
		t.Run(url, func(t *testing.T) {
			conn := strings.Replace(connection(srv), fmt.Sprintf("url = %q", srv.URL()), fmt.Sprintf("url = %q", url), 1)
			steps := check(t, conn+mapping)
			for _, s := range steps {
				if !s.OK {
					t.Errorf("step %+v failed", s)
				}
			}
			mustContain(t, "token step", steps[0].Detail, "got a token for "+srv.URL()+"/.default from")
		})
	}
}
