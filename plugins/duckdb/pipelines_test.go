//go:build cgo

package duckdb_test

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/sluicedata/sluice/engine"
	"github.com/sluicedata/sluice/plugins/builtin"
)

// TestExamplePipelines runs pipelines/parquet-to-jsonl.hcl on the Parquet
// file in testdata, and checks the Dynamics variant is valid HCL (its sink
// is not in this build yet).
func TestExamplePipelines(t *testing.T) {
	root, _ := filepath.Abs("../..")
	out := filepath.Join(t.TempDir(), "out.jsonl")
	eng, err := engine.New(engine.WithPlugins(builtin.Plugins()...))
	if err != nil {
		t.Fatal(err)
	}
	p, err := eng.Load(filepath.Join(root, "pipelines/parquet-to-jsonl.hcl"), engine.Inputs{Vars: []string{
		"input=" + filepath.Join(root, "testdata/customers.parquet"),
		"output=" + out,
		"rejects=" + filepath.Join(t.TempDir(), "rejects.jsonl"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	stats, err := p.Run(context.Background(), engine.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if stats.Status != engine.StatusSucceeded {
		t.Fatalf("status %s", stats.Status)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lines := 0
	for s := bufio.NewScanner(f); s.Scan(); lines++ {
	}
	// testdata/customers.parquet: 42 customers, 23 of them active, worth
	// more than 100 and with a distinct email.
	if lines != 23 {
		t.Errorf("wrote %d contacts, want 23", lines)
	}
	src, err := os.ReadFile(filepath.Join(root, "pipelines/parquet-to-dynamics.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	if _, diags := hclsyntax.ParseConfig(src, "parquet-to-dynamics.hcl", hcl.InitialPos); diags.HasErrors() {
		t.Errorf("pipelines/parquet-to-dynamics.hcl: %v", diags)
	}
}
