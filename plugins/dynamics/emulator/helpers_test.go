package emulator_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/sluicedata/sluice/plugins/dynamics/emulator"
	"github.com/sluicedata/sluice/plugins/dynamics/emulator/emulatortest"
)

// client talks real HTTP to an emulator's Web API with a bearer token.
type client struct {
	t     testing.TB
	srv   *emulator.Server
	http  *http.Client
	token string
}

func newClient(t testing.TB, srv *emulator.Server) *client {
	return &client{t: t, srv: srv, http: srv.HTTPClient(), token: srv.Token()}
}

// start runs an emulator over plain HTTP (TLS is exercised by the auth tests) with a client for it.
func start(t testing.TB, opts ...emulatortest.Option) (*emulator.Server, *client) {
	t.Helper()
	srv := emulatortest.Start(t, append([]emulatortest.Option{emulatortest.WithoutTLS()}, opts...)...)
	return srv, newClient(t, srv)
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r *response) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	d := json.NewDecoder(bytes.NewReader(r.body))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		t.Fatalf("decode %d response %q: %v", r.status, r.body, err)
	}
	return m
}

func (r *response) values(t testing.TB) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, v := range r.json(t)["value"].([]any) {
		out = append(out, v.(map[string]any))
	}
	return out
}

// errorCode returns the Dataverse error code and message of an error response.
func (r *response) errorCode(t testing.TB) (string, string) {
	t.Helper()
	e, ok := r.json(t)["error"].(map[string]any)
	if !ok {
		t.Fatalf("no error in %d response: %s", r.status, r.body)
	}
	return e["code"].(string), e["message"].(string)
}

// do sends method to path (relative to the Web API root unless it starts with http or /), with an optional JSON
// body and header pairs.
func (c *client) do(method, path string, body any, headers ...string) *response {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	url := path
	switch {
	case strings.HasPrefix(path, "http"):
	case strings.HasPrefix(path, "/"):
		url = c.srv.URL() + path
	default:
		url = c.srv.WebAPIURL() + "/" + path
	}
	url = strings.ReplaceAll(url, " ", "%20")
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("OData-MaxVersion", "4.0")
	req.Header.Set("OData-Version", "4.0")
	if body != nil {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	given := map[string]bool{}
	for i := 0; i+1 < len(headers); i += 2 {
		k := http.CanonicalHeaderKey(headers[i])
		if given[k] {
			req.Header.Add(k, headers[i+1])
		} else {
			req.Header.Set(k, headers[i+1])
		}
		given[k] = true
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: b}
}

// expect fails the test unless the response has the status.
func expect(t testing.TB, r *response, status int) *response {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body: %s", r.status, status, r.body)
	}
	return r
}

// idFromEntityID extracts the GUID from an OData-EntityId header.
func idFromEntityID(t testing.TB, r *response) string {
	t.Helper()
	u := r.header.Get("OData-EntityId")
	i, j := strings.LastIndexByte(u, '('), strings.LastIndexByte(u, ')')
	if i < 0 || j < i {
		t.Fatalf("no OData-EntityId in response: %v", r.header)
	}
	return u[i+1 : j]
}

func sortStrings(s []string) { sort.Strings(s) }

// withTablesHCL parses a tables file given as text.
func withTablesHCL(t testing.TB, src string) emulatortest.Option {
	t.Helper()
	tables, err := emulator.ParseTables([]byte(src), "test.hcl")
	if err != nil {
		t.Fatal(err)
	}
	return emulatortest.WithTables(tables)
}
