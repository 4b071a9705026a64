package csv

import "github.com/sluicedata/sluice/sdk"

// SourceConfig configures the csv source.
type SourceConfig struct {
	Path       string            `sluice:"path,required" doc:"CSV file to read, or a glob: every match is read, in name order, as one table. All files must have the same columns (in any order, when they have a header)." example:"\"exports/segment-*.csv\""`
	Header     bool              `sluice:"header" default:"true" doc:"Whether the first line of each file names the columns."`
	Columns    []string          `sluice:"columns" doc:"Column names for files without a header (header = false), in file order. Default: column_1, column_2, …" example:"[\"id\", \"email\", \"name\"]"`
	Delimiter  string            `sluice:"delimiter" default:"," doc:"Field separator, one character (\"\\t\" for tab-separated files)." example:"\";\""`
	Quote      string            `sluice:"quote" default:"\"" doc:"Quote character, or \"\" for files that never quote: then quotes are ordinary characters. A quoted field may contain delimiters, line breaks and doubled quotes."`
	Schema     map[string]string `sluice:"schema" doc:"Column types by name: string, int64, int32, float64, bool, timestamp (RFC 3339, stored as UTC microseconds), date (YYYY-MM-DD) or decimal(p,s). Columns not listed are inferred." example:"{ customer_id = \"int64\", updated_at = \"timestamp\" }"`
	InferRows  int               `sluice:"infer_rows" default:"10000" doc:"Rows of the first file sampled to infer the types of columns the schema does not declare. A column is int64, float64, bool, date or timestamp if every sampled value is; otherwise, or if all are empty, string. A later value that does not convert rejects its row."`
	NullValues []string          `sluice:"null_values" doc:"Unquoted field values that mean null. By default an empty field is null in a non-text column and the empty string in a text column; add \"\" to make empty text null too." example:"[\"\", \"NULL\", \"\\\\N\"]"`
	BatchRows  int               `sluice:"batch_rows" default:"16384" doc:"Rows per batch. Each batch is decoded on its own core and ends with a checkpoint."`
}

// SinkConfig configures the csv sink.
type SinkConfig struct {
	Path      string `sluice:"path,required" doc:"File to write. It is written to a temporary file beside it and renamed into place when the run succeeds, so a failed run leaves the previous file as it was. Missing directories are created." example:"\"out/contacts.csv\""`
	Header    bool   `sluice:"header" default:"true" doc:"Whether to write a header line with the column names."`
	Delimiter string `sluice:"delimiter" default:"," doc:"Field separator, one character." example:"\";\""`
	Null      string `sluice:"null" doc:"Text written for null values. Default: an empty field." example:"\"\\\\N\""`
}

var sourceInfo = sdk.Info{
	Name:    "csv",
	Version: "1.0.0",
	Summary: "Reads CSV files, with declared or inferred column types, rejecting malformed lines.",
	Examples: []sdk.Example{{
		Title: "A segment export, with two declared types and the rest inferred",
		HCL: `source "csv" "segment" {
  path   = "exports/segment-*.csv"
  schema = { customer_id = "int64", updated_at = "timestamp" }
}`,
	}},
}

var sinkInfo = sdk.Info{
	Name:    "csv",
	Version: "1.0.0",
	Summary: "Writes a CSV file with a header, replacing it only when the run succeeds.",
	Examples: []sdk.Example{{
		Title: "Semicolon-separated output",
		HCL: `sink "csv" "out" {
  input     = transform.normalize
  path      = "out/contacts.csv"
  delimiter = ";"
}`,
	}},
}

// Source is the csv source plugin.
var Source = sdk.SourcePlugin(sourceInfo, newSource)

// Sink is the csv sink plugin.
var Sink = sdk.SinkPlugin(sinkInfo, newSink)
