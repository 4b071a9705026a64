package synctest_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/sluicedata/sluice/engine"
	"github.com/sluicedata/sluice/engine/state"
	"github.com/sluicedata/sluice/plugins/builtin"
	"github.com/sluicedata/sluice/plugins/dynamics/emulator"
	"github.com/sluicedata/sluice/plugins/dynamics/emulator/emulatortest"
	memplugin "github.com/sluicedata/sluice/plugins/memory"
	"github.com/sluicedata/sluice/plugins/postgres/pgtest"
)

var pg *pgtest.Server

func TestMain(m *testing.M) {
	code := pgtest.Run(m, &pg)
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

var (
	binOnce sync.Once
	binDir  string
	binPath string
	binErr  error
)

// sluiceBinary builds the sluice command once for the package's tests.
func sluiceBinary(t testing.TB) string {
	t.Helper()
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "synctest-bin-")
		if binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "sluice")
		out, err := exec.Command("go", "build", "-o", binPath, "github.com/sluicedata/sluice/cmd/sluice").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build ./cmd/sluice: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// tables gives accounts an alternate key on their number, for the lookup
// the tests map.
const tables = `
table "account" {
  key "accountnumber" {
    columns = ["accountnumber"]
  }
}
`

// startEmulator starts an in-process emulator with the test tables and
// two accounts, A1 and A2.
func startEmulator(t *testing.T, opts ...emulatortest.Option) *emulator.Server {
	t.Helper()
	tt, err := emulator.ParseTables([]byte(tables), "tables.hcl")
	if err != nil {
		t.Fatal(err)
	}
	srv := emulatortest.Start(t, append([]emulatortest.Option{emulatortest.WithTables(tt)}, opts...)...)
	if _, err := srv.Insert(context.Background(), "account",
		map[string]any{"name": "Acme", "accountnumber": "A1"}, map[string]any{"name": "Globex", "accountnumber": "A2"}); err != nil {
		t.Fatal(err)
	}
	srv.ResetRequestLog()
	return srv
}

// person is one input row.
type person struct {
	email, first, last, title, city, company string
}

func (p person) fields() []string {
	return []string{p.email, p.first, p.last, p.title, p.city, p.company}
}

// people makes n distinct rows; every third has no company.
func people(n int) []person {
	out := make([]person, n)
	for i := range out {
		company := []string{"A1", "A2", ""}[i%3]
		out[i] = person{email: fmt.Sprintf("Person%d@Example.com", i), first: fmt.Sprintf("First%d", i), last: fmt.Sprintf("Last%d", i),
			title: "Engineer", city: []string{"Oslo", "Lima", "Kyiv"}[i%3], company: company}
	}
	return out
}

// writeCSV writes rows as the segment file.
func writeCSV(t testing.TB, path string, rows []person) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := csv.NewWriter(f)
	w.Write([]string{"email", "first", "last", "title", "city", "company"})
	for _, r := range rows {
		w.Write(r.fields())
	}
	w.Flush()
	if err := w.Error(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// pipelineSource is a segment CSV synced into contacts. The key lower-cases
// the email, so the sink's key column is email; the variables default to
// the DATAVERSE_ environment, as the example pipelines do.
const pipelineSource = `
variable "segment" {}
variable "dataverse_url" {
  default = env("DATAVERSE_URL")
}
variable "tenant_id" {
  default = env("DATAVERSE_TENANT_ID")
}
variable "client_id" {
  default = env("DATAVERSE_CLIENT_ID")
}
variable "client_secret" {
  default   = env("DATAVERSE_CLIENT_SECRET")
  sensitive = true
}
variable "authority" {
  default = env("DATAVERSE_AUTHORITY")
}
variable "ca_file" {
  default = env("DATAVERSE_CA_FILE")
}

%s

source "csv" "segment" {
  path        = var.segment
  null_values = [""]
}

sink "dynamics" "contacts" {
  input = source.segment
  url   = var.dataverse_url
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
    firstname        = "first"
    lastname         = "last"
    jobtitle         = "title"
    address1_city    = "city"
    parentcustomerid = { lookup = "account", by = { accountnumber = "company" } }
  }
  %s
  sync {
    mode     = "changes"
    on_leave = %q
    %s
  }
  rejects = sink.rejects
}

sink "memory" "rejects" { table = "rejects" }
`

// fixture is a pipeline file in a directory of its own, its segment file
// beside it, and an emulator to write to.
type fixture struct {
	t       *testing.T
	srv     *emulator.Server
	dir     string
	path    string
	segment string
	env     map[string]string
	rejects *memplugin.Store
}

// syncOptions shape the pipeline.
type syncOptions struct {
	onLeave    string // default "nothing"
	syncExtra  string // more sync attributes
	sinkExtra  string // more sink attributes
	stateBlock string
	noRejects  bool // no rejects sink (the CLI's is a file, which is not idempotent)
}

func newFixture(t *testing.T, srv *emulator.Server, o syncOptions) *fixture {
	t.Helper()
	if o.onLeave == "" {
		o.onLeave = "nothing"
	}
	dir := t.TempDir()
	f := &fixture{t: t, srv: srv, dir: dir, path: filepath.Join(dir, "contacts.hcl"), segment: filepath.Join(dir, "segment.csv"), rejects: memplugin.NewStore()}
	t.Cleanup(f.rejects.Clear)
	src := fmt.Sprintf(pipelineSource, o.stateBlock, o.sinkExtra, o.onLeave, o.syncExtra)
	if err := os.WriteFile(f.path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	f.env = emulatorEnv(srv)
	f.env["SLUICE_VAR_segment"] = f.segment
	return f
}

// emulatorEnv is the environment the pipelines read their connection from,
// as sluice emulator dynamics --env-file writes it.
func emulatorEnv(srv *emulator.Server) map[string]string {
	return map[string]string{
		"DATAVERSE_URL": srv.URL(), "DATAVERSE_TENANT_ID": srv.TenantID, "DATAVERSE_CLIENT_ID": srv.ClientID,
		"DATAVERSE_CLIENT_SECRET": srv.ClientSecret, "DATAVERSE_AUTHORITY": srv.Authority(), "DATAVERSE_CA_FILE": srv.CAFile(),
	}
}

// run runs the pipeline through the engine and returns the sink's stats.
func (f *fixture) run(rows []person, opts engine.RunOptions) (engine.NodeStats, error) {
	f.t.Helper()
	writeCSV(f.t, f.segment, rows)
	f.rejects.Clear()
	eng, err := engine.New(engine.WithPlugins(append(builtin.Plugins(), f.rejects.Plugins()...)...))
	if err != nil {
		f.t.Fatal(err)
	}
	p, err := eng.Load(f.path, engine.Inputs{LookupEnv: func(k string) (string, bool) { v, ok := f.env[k]; return v, ok }})
	if err != nil {
		f.t.Fatal(err)
	}
	stats, err := p.Run(context.Background(), opts)
	n, _ := stats.Node("sink.contacts")
	if err == nil && !n.Balanced() {
		f.t.Errorf("the sink's counts do not add up: %+v", n)
	}
	return n, err
}

// mustRun runs and fails the test on an error.
func (f *fixture) mustRun(rows []person, opts engine.RunOptions) engine.NodeStats {
	f.t.Helper()
	n, err := f.run(rows, opts)
	if err != nil {
		f.t.Fatalf("run: %v", err)
	}
	return n
}

// traffic is what the emulator's request log holds since it was last reset.
type traffic struct {
	writeRequests int // write requests over the wire ($batch and bulk count once)
	records       int // records written (created, updated, deleted)
	byOperation   map[string]int
}

func logTraffic(entries []emulator.LogEntry) traffic {
	tr := traffic{byOperation: map[string]int{}}
	for _, e := range entries {
		if !e.Write || e.Status >= 400 {
			continue
		}
		if !e.InBatch {
			tr.writeRequests++
		}
		if e.Operation != "batch" {
			tr.records += e.Records
			tr.byOperation[e.Operation] += e.Records
		}
	}
	return tr
}

// traffic reads the log and resets it.
func (f *fixture) traffic() traffic {
	tr := logTraffic(f.srv.RequestLog())
	f.srv.ResetRequestLog()
	return tr
}

// contacts returns the emulator's contacts by email.
func contacts(t testing.TB, srv *emulator.Server) map[string]map[string]any {
	t.Helper()
	recs, err := srv.Records("contact")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]any{}
	for _, r := range recs {
		email, _ := r["emailaddress1"].(string)
		if _, dup := out[email]; dup {
			t.Errorf("two contacts with email %q", email)
		}
		out[email] = r
	}
	return out
}

// deleteContact deletes a contact through the Web API, as someone in the
// CRM would.
func deleteContact(t *testing.T, srv *emulator.Server, email string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodDelete, srv.WebAPIURL()+"/contacts(emailaddress1='"+email+"')", nil)
	req.Header.Set("Authorization", "Bearer "+srv.Token())
	resp, err := srv.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("deleting %s: HTTP %d", email, resp.StatusCode)
	}
}

// describe summarises the pipeline's state store.
func (f *fixture) describe() state.Summary {
	f.t.Helper()
	eng, err := engine.New(engine.WithPlugins(append(builtin.Plugins(), f.rejects.Plugins()...)...))
	if err != nil {
		f.t.Fatal(err)
	}
	p, err := eng.Load(f.path, engine.Inputs{LookupEnv: func(k string) (string, bool) { v, ok := f.env[k]; return v, ok }})
	if err != nil {
		f.t.Fatal(err)
	}
	store, err := p.State(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	defer store.Close()
	sum, err := store.Describe(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	return sum
}

func fileText(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func writeFile(t testing.TB, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}
