package postgres_test

import (
	"fmt"
	"testing"

	"github.com/sluicedata/sluice/plugins/postgres"
	"github.com/sluicedata/sluice/plugins/postgres/pgtest"
	"github.com/sluicedata/sluice/sdk"
	"github.com/sluicedata/sluice/sdk/plugintest"
)

func TestSourceConformance(t *testing.T) {
	url := server.CreateDatabase(t)
	pgtest.Exec(t, url, `CREATE TABLE people (id int PRIMARY KEY, name text, score numeric(6,1), active bool, updated_at timestamptz NOT NULL);
INSERT INTO people SELECT i, 'name ' || (i % 6), i * 1.5, i % 3 <> 0, '2024-01-01'::timestamptz + (i / 4) * interval '1 day'
FROM generate_series(0, 49) i`)
	plugintest.Source(t, plugintest.SourceSuite{
		Common: plugintest.Common{
			Plugin: postgres.Source,
			Config: fmt.Sprintf(`url = %q
query = "SELECT * FROM people WHERE score >= $1"
args = [0]
batch_rows = 8
incremental {
  cursor = ["updated_at", "id"]
}`, url),
			BadConfigs: []plugintest.BadConfig{
				{HCL: ``},
				{HCL: `query = ""`, Path: sdk.Path{"query"}},
				{HCL: "query = \"SELECT 1\"\nsslmode = \"on\"", Path: sdk.Path{"sslmode"}},
				{HCL: "query = \"SELECT 1\"\nbatch_rows = -1", Path: sdk.Path{"batch_rows"}},
			},
		},
		MinRows: 50,
	})
}
