package postgres_test

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/sluicedata/sluice/engine"
	"github.com/sluicedata/sluice/plugins/builtin"
	"github.com/sluicedata/sluice/plugins/postgres/pgtest"
)

// TestExamplePipelines runs pipelines/postgres-to-jsonl.hcl against a
// crm_segment table, and checks the Dynamics variant is valid HCL (its sink
// is not in this build yet).
func TestExamplePipelines(t *testing.T) {
	url := server.CreateDatabase(t)
	pgtest.Exec(t, url, `CREATE TABLE crm_segment (
  customer_id bigint PRIMARY KEY, email text, first_name text, last_name text,
  company text, phone text, city text, region text, lifetime_value numeric,
  is_active boolean, updated_at timestamptz NOT NULL DEFAULT now());
CREATE INDEX ON crm_segment (updated_at, customer_id);
INSERT INTO crm_segment
SELECT i, ' Customer' || i || '@Example.com ', 'First' || i, 'Last' || i, 'Acme', '+1 415 555 ' || (1000 + i), 'Berlin',
       CASE WHEN i % 2 = 0 THEN 'EU' ELSE 'US' END, i * 10.5, true, now() - interval '1 hour' + i * interval '1 second'
FROM generate_series(1, 40) i;
-- updated a moment ago: within the lag, left for the next run
INSERT INTO crm_segment VALUES (100, 'late@example.com', 'L', 'L', 'Acme', NULL, 'Paris', 'EU', 1, true, now())`)
	root, _ := filepath.Abs("../..")
	out := filepath.Join(t.TempDir(), "out.jsonl")
	eng, err := engine.New(engine.WithPlugins(builtin.Plugins()...))
	if err != nil {
		t.Fatal(err)
	}
	p, err := eng.Load(filepath.Join(root, "pipelines/postgres-to-jsonl.hcl"), engine.Inputs{Vars: []string{
		"warehouse_url=" + url,
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
		// Normalised by the map transform; numeric(12,2) kept exact.
		const first = `{"customer_id":2,"email":"customer2@example.com","first_name":"First2","last_name":"Last2","company":"Acme","phone":"+14155551002","city":"Berlin","lifetime_value":21.00,"is_active":true,"updated_at":"`
		if lines == 0 && !strings.HasPrefix(s.Text(), first) {
			t.Errorf("first line %s", s.Text())
		}
	}
	if lines != 20 {
		t.Errorf("wrote %d contacts, want the 20 EU customers older than the lag", lines)
	}
	src, err := os.ReadFile(filepath.Join(root, "pipelines/postgres-to-dynamics.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	if _, diags := hclsyntax.ParseConfig(src, "postgres-to-dynamics.hcl", hcl.InitialPos); diags.HasErrors() {
		t.Errorf("pipelines/postgres-to-dynamics.hcl: %v", diags)
	}
}
