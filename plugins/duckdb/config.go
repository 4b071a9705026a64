package duckdb

import "github.com/sluicedata/sluice/sdk"

// SourceConfig configures the duckdb source.
type SourceConfig struct {
	Database string   `sluice:"database" doc:"DuckDB database file to open. Default: none, an in-memory database, which is all a query over Parquet or CSV files needs." example:"\"warehouse.duckdb\""`
	ReadOnly bool     `sluice:"read_only" default:"true" doc:"Open database read-only, so that other processes can read it at the same time and the pipeline cannot change it."`
	Setup    []string `sluice:"setup,sensitive" doc:"Statements run before the query on the same connection: settings, views, secrets. Sensitive, since a CREATE SECRET holds credentials." example:"[\"SET memory_limit = '2GB'\", \"CREATE VIEW segment AS SELECT * FROM read_parquet('lake/*.parquet')\"]"`
	Query    string   `sluice:"query,required" doc:"SQL query whose rows are the source's rows, with $1, $2, … for the values of args. DuckDB reads files itself: read_parquet('data/*.parquet'), read_csv('export.csv'). Result columns keep the Arrow types DuckDB gives them; see docs/duckdb.md." example:"\"SELECT id, email, updated_at FROM read_parquet('lake/segment/*.parquet') WHERE region = $1\""`
	Args     any      `sluice:"args" doc:"List of the values of the query's parameters: the first is $1. Strings, numbers, bools and null." example:"[var.region]"`

	BatchRows int `sluice:"batch_rows" default:"16384" doc:"Rows per batch. DuckDB streams the result in chunks of 2048 rows; the source gathers them into batches of at least this many."`

	Incremental *IncrementalConfig `sluice:"incremental,block" doc:"Read only the rows past the last successful run's, by a cursor of ordered columns. Without it every run reads the whole result."`
}

// IncrementalConfig configures incremental reads.
type IncrementalConfig struct {
	Cursor []string `sluice:"cursor,required" doc:"Result columns whose values only grow as rows are added or changed, most significant first, ending with a unique one: [\"updated_at\", \"id\"]. Types: integers, decimal, varchar, date, timestamp. Rows where a cursor column is null are never read. Use $1, $2… (not ?) for the query's own parameters." example:"[\"updated_at\", \"id\"]"`
}

var sourceInfo = sdk.Info{
	Name:    "duckdb",
	Version: "1.0.0",
	Summary: "Reads the result of a DuckDB query — over Parquet, CSV or a DuckDB file — as Arrow batches, streamed.",
	Description: "Runs the query in an embedded DuckDB and streams its result as Arrow record batches: " +
		"a segment can be a SQL query over a lake of Parquet files with no server at all. " +
		"With an incremental block each run resumes after the cursor of the last row the previous run delivered.",
	Examples: []sdk.Example{
		{
			Title: "A segment over Parquet files",
			HCL: `source "duckdb" "segment" {
  query = <<-SQL
    SELECT customer_id, email, lifetime_value
    FROM read_parquet('lake/customers/*.parquet')
    WHERE lifetime_value > $1
  SQL
  args = [var.min_value]
}`,
		},
		{
			Title: "Rows changed since the last run, from a DuckDB file",
			HCL: `source "duckdb" "changed" {
  database = "warehouse.duckdb"
  query    = "SELECT id, email, updated_at FROM customers"
  incremental {
    cursor = ["updated_at", "id"]
  }
}`,
		},
	},
}

// Source is the duckdb source plugin.
var Source = sdk.SourcePlugin(sourceInfo, newSource)
