package postgres_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/sluicedata/sluice/plugins/internal/testhost"
	"github.com/sluicedata/sluice/plugins/postgres"
	"github.com/sluicedata/sluice/sdk"
)

// TestErrorsNeverContainThePassword provokes connection, authentication,
// configuration and query errors, with the password given in the URL and
// as an attribute, and checks no error text holds it.
func TestErrorsNeverContainThePassword(t *testing.T) {
	db := server.CreateDatabase(t)
	u, _ := url.Parse(db)
	const wrong = "Wr0ng-S3cret-Passw0rd"
	withPassword := func(pw string) string {
		v := *u
		v.User = url.UserPassword(u.User.Username(), pw)
		return v.String()
	}
	closedPort := *u
	closedPort.Host = "127.0.0.1:1"
	closedPort.User = url.UserPassword("postgres", wrong)
	cases := []struct {
		name, body, want, secret string
	}{
		{"wrong password in url", config(withPassword(wrong), "SELECT 1 AS x"), "password authentication failed", wrong},
		{"wrong password attribute", strings.Replace(hostConfig(t, db, "SELECT 1 AS x"), server.Password(), wrong, 1), "password authentication failed", wrong},
		{"nothing listening", config(closedPort.String(), "SELECT 1 AS x"), "connecting to 127.0.0.1 port 1", wrong},
		{"bad query", config(db, "SELECT nosuch"), `column "nosuch" does not exist`, server.Password()},
		{"bad query, password attribute", hostConfig(t, db, "SELECT 1/0 AS x WHERE $1"), "parameters", server.Password()},
		{"malformed url", fmt.Sprintf("url = %q\nquery = \"SELECT 1\"", "postgres://postgres:"+wrong+"@127.0.0.1:99999999/x"), "", wrong},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src, err := testhost.Build(t, postgres.Source, c.body)
			if err == nil {
				defer src.(sdk.Source).Close(context.Background())
				_, err = src.(sdk.Source).Open(context.Background(), testhost.New(t))
			}
			if err == nil {
				t.Fatal("no error")
			}
			if strings.Contains(err.Error(), c.secret) {
				t.Errorf("the error shows the password: %v", err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not say %q", err, c.want)
			}
		})
	}
}

// TestConfigurationMistakes checks mistakes are reported at their
// attribute before anything connects.
func TestConfigurationMistakes(t *testing.T) {
	for _, c := range []struct{ body, path string }{
		{`url = "postgres://x/db"` + "\nhost = \"h\"\nquery = \"SELECT 1\"", "host"},
		{`sslmode = "sometimes"` + "\nquery = \"SELECT 1\"", "sslmode"},
		{`cert_file = "a.crt"` + "\nquery = \"SELECT 1\"", "key_file"},
		{`query = " "`, "query"},
		{"query = \"SELECT 1\"\nbatch_rows = 0", "batch_rows"},
		{"query = \"SELECT 1\"\nargs = \"x\"", "args"},
		{"query = \"SELECT 1\"\nargs = [{ a = 1 }]", "args.0"},
		{"query = \"SELECT 1\"\nincremental {\n cursor = [\"a\", \"a\"]\n}", "incremental.cursor"},
	} {
		_, err := testhost.Build(t, postgres.Source, c.body)
		d := sdk.AsDiagnostics(err)
		if len(d) == 0 || d[0].Path.String() != c.path {
			t.Errorf("%s: got %v, want a diagnostic at %s", c.body, err, c.path)
		}
	}
}
