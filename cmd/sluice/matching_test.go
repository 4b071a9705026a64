package main

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/sluicedata/sluice/plugins/dynamics/emulator"
	"github.com/sluicedata/sluice/plugins/dynamics/emulator/emulatortest"
	"github.com/sluicedata/sluice/sdk"
)

// dataverseEnv points the example pipelines at srv, as
// `sluice emulator dynamics --env-file` does.
func dataverseEnv(t *testing.T, srv *emulator.Server) {
	t.Helper()
	for k, v := range map[string]string{"DATAVERSE_URL": srv.URL(), "DATAVERSE_TENANT_ID": srv.TenantID, "DATAVERSE_CLIENT_ID": srv.ClientID,
		"DATAVERSE_CLIENT_SECRET": srv.ClientSecret, "DATAVERSE_AUTHORITY": srv.Authority(), "DATAVERSE_CA_FILE": srv.CAFile()} {
		t.Setenv(k, v)
	}
}

// readPlan reads a plan saved as JSON lines: the rows of one sink, in row
// order.
func readPlan(t *testing.T, path, sink string) []sdk.RowPlan {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []sdk.RowPlan
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r planRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if r.Sink != sink {
			continue
		}
		p := sdk.RowPlan{Row: int(r.Row), Action: r.Action, Table: r.Table, Record: r.Record, Label: r.Label, Code: r.Code, Reason: r.Reason, Related: r.Related}
		for _, c := range r.Changes {
			p.Changes = append(p.Changes, sdk.FieldChange{Field: c.Field, Before: c.Before, After: c.After})
		}
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b sdk.RowPlan) int { return a.Row - b.Row })
	return out
}

// TestZoomInfoPipeline plans, then runs, pipelines/zoominfo-contacts.hcl
// against the matching fixture: the plan must be expected.csv row by row
// and send no write; the run must leave the CRM as final.json says.
func TestZoomInfoPipeline(t *testing.T) {
	repoRoot(t)
	f := emulatortest.StartFixture(t, "testdata/matching")
	dataverseEnv(t, f.Srv)
	dir := t.TempDir()
	rejects := filepath.Join(dir, "rejects.csv")
	code, out, errOut := sluice(context.Background(), "check", "pipelines/zoominfo-contacts.hcl", "--var", "rejects="+rejects)
	if code != 0 || !strings.Contains(out, "✓ match            4 rules searching contact, lead; new records go to contact; accounts found by 1 rule") {
		t.Errorf("check: exit %d\n%s\n%s", code, out, errOut)
	}
	f.Srv.ResetRequestLog()
	code, out, errOut = sluice(context.Background(), "plan", "pipelines/zoominfo-contacts.hcl", "--var", "rejects="+rejects,
		"--out", filepath.Join(dir, "plan.jsonl"))
	if code != 0 {
		t.Fatalf("plan: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, l := range f.Srv.RequestLog() {
		if l.Write {
			t.Errorf("the plan wrote: %s %s", l.Method, l.Path)
		}
	}
	if _, err := os.Stat(rejects); err == nil {
		t.Error("the plan wrote the rejects file")
	}
	f.CheckPlan(t, readPlan(t, filepath.Join(dir, "plan.jsonl"), "sink.contacts"))
	for _, want := range []string{
		"sink.contacts row 1: update contact " + f.IDs["c_ann"] + " (emailaddress1 = 'ann@example.com')",
		`telephone1: (empty) → "555-0100"`,
		"and create account (name = 'Initech')",
		"row 13: reject contact (emailaddress1 = 'long@name.example') [dynamics.value]",
		"Plan: nothing was written.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the plan's output lacks %q:\n%s", want, out)
		}
	}

	// Parquet: the same rows.
	code, _, errOut = sluice(context.Background(), "plan", "pipelines/zoominfo-contacts.hcl", "--var", "rejects="+rejects,
		"--out", filepath.Join(dir, "plan.parquet"), "--show", "0")
	if code != 0 {
		t.Fatalf("plan --out plan.parquet: exit %d\n%s", code, errOut)
	}
	rdr, err := file.OpenParquetFile(filepath.Join(dir, "plan.parquet"), false)
	if err != nil {
		t.Fatal(err)
	}
	fr, err := pqarrow.NewFileReader(rdr, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := fr.ReadTable(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// 13 rows for the sink, 1 for the rejects sink.
	if tbl.NumRows() != 14 {
		t.Errorf("plan.parquet has %d rows, want 14", tbl.NumRows())
	}
	tbl.Release()
	rdr.Close()

	code, out, errOut = sluice(context.Background(), "run", "pipelines/zoominfo-contacts.hcl", "--var", "rejects="+rejects)
	if code != 0 {
		t.Fatalf("run: exit %d\n%s\n%s", code, out, errOut)
	}
	f.CheckFinal(t)
	data, err := os.ReadFile(rejects)
	if err != nil || !strings.Contains(string(data), "long@name.example") || !strings.Contains(string(data), "dynamics.value") {
		t.Errorf("rejects: %v\n%s", err, data)
	}
}

// TestCaptelloPipeline plans, then runs, pipelines/captello-leads.hcl
// against the matching fixture's CRM: leads first, then contacts, by email
// or name, a new lead when none.
func TestCaptelloPipeline(t *testing.T) {
	repoRoot(t)
	f := emulatortest.StartFixture(t, "testdata/matching")
	dataverseEnv(t, f.Srv)
	dir := t.TempDir()
	rejects := filepath.Join(dir, "rejects.csv")
	f.Srv.ResetRequestLog()
	code, out, errOut := sluice(context.Background(), "plan", "pipelines/captello-leads.hcl", "--var", "rejects="+rejects,
		"--out", filepath.Join(dir, "plan.jsonl"))
	if code != 0 {
		t.Fatalf("plan: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, l := range f.Srv.RequestLog() {
		if l.Write {
			t.Errorf("the plan wrote: %s %s", l.Method, l.Path)
		}
	}
	f.CheckPlanFile(t, "captello-expected.csv", readPlan(t, filepath.Join(dir, "plan.jsonl"), "sink.leads"))
	code, out, errOut = sluice(context.Background(), "run", "pipelines/captello-leads.hcl", "--var", "rejects="+rejects)
	if code != 0 {
		t.Fatalf("run: exit %d\n%s\n%s", code, out, errOut)
	}
	f.CheckFinalFile(t, "captello-final.json")
}

// TestPlanAgreesWithRun: for pipelines/dynamics-contacts.hcl, which upserts
// by key without a match block, the plan's totals are what the run then
// does.
func TestPlanAgreesWithRun(t *testing.T) {
	repoRoot(t)
	srv := emulatortest.Start(t)
	dataverseEnv(t, srv)
	dir := t.TempDir()
	code, out, errOut := sluice(context.Background(), "plan", "pipelines/dynamics-contacts.hcl", "--out", filepath.Join(dir, "plan.jsonl"))
	if code != 0 {
		t.Fatalf("plan: exit %d\n%s\n%s", code, out, errOut)
	}
	totals := map[sdk.PlanAction]int64{}
	for _, p := range readPlan(t, filepath.Join(dir, "plan.jsonl"), "sink.contacts") {
		totals[p.Action]++
	}
	if n, _ := srv.Count("contact"); n != 0 {
		t.Fatalf("the plan created %d contacts", n)
	}
	code, out, errOut = sluice(context.Background(), "run", "pipelines/dynamics-contacts.hcl", "--json")
	if code != 0 {
		t.Fatalf("run: exit %d\n%s", code, errOut)
	}
	var summary struct {
		Nodes []struct {
			Node         string `json:"node"`
			Out          int64  `json:"out"`
			Deduplicated int64  `json:"deduplicated"`
			Rejected     int64  `json:"rejected"`
		} `json:"nodes"`
	}
	if err := json.Unmarshal([]byte(out), &summary); err != nil {
		t.Fatal(err)
	}
	for _, n := range summary.Nodes {
		if n.Node != "sink.contacts" {
			continue
		}
		if n.Out != totals[sdk.PlanCreate]+totals[sdk.PlanUpdate] || n.Deduplicated != totals[sdk.PlanDeduplicated] || n.Rejected != totals[sdk.PlanReject] {
			t.Errorf("the run wrote %d, collapsed %d and rejected %d rows; the plan said %v", n.Out, n.Deduplicated, n.Rejected, totals)
		}
		if count, _ := srv.Count("contact"); int64(count) != totals[sdk.PlanCreate] {
			t.Errorf("%d contacts, the plan said %d creates", count, totals[sdk.PlanCreate])
		}
		return
	}
	t.Error("no sink.contacts in the summary")
}
