package jsonl

import "github.com/sluicedata/sluice/sdk"

// SourceConfig configures the jsonl source.
type SourceConfig struct {
	Path      string            `sluice:"path,required" doc:"JSON lines file to read, or a glob: every match is read, in name order, as one table." example:"\"events/*.jsonl\""`
	Schema    map[string]string `sluice:"schema" doc:"Column types by key: string, int64, int32, float64, bool, timestamp (RFC 3339, stored as UTC microseconds), date (YYYY-MM-DD) or decimal(p,s). Keys not listed are inferred; keys first seen after the sample are ignored." example:"{ id = \"int64\", created_at = \"timestamp\" }"`
	InferRows int               `sluice:"infer_rows" default:"10000" doc:"Lines of the first file sampled to find the keys and infer the types the schema does not declare."`
	BatchRows int               `sluice:"batch_rows" default:"16384" doc:"Rows per batch. Each batch is decoded on its own core and ends with a checkpoint."`
}

// SinkConfig configures the jsonl sink.
type SinkConfig struct {
	Path string `sluice:"path,required" doc:"File to write. It is written to a temporary file beside it and renamed into place when the run succeeds, so a failed run leaves the previous file as it was. Missing directories are created." example:"\"out/rejects.jsonl\""`
}

var sourceInfo = sdk.Info{
	Name:    "jsonl",
	Version: "1.0.0",
	Summary: "Reads JSON lines files, with declared or inferred column types, rejecting malformed lines.",
	Examples: []sdk.Example{{
		Title: "Events with a declared timestamp",
		HCL: `source "jsonl" "events" {
  path   = "events/*.jsonl"
  schema = { created_at = "timestamp" }
}`,
	}},
}

var sinkInfo = sdk.Info{
	Name:    "jsonl",
	Version: "1.0.0",
	Summary: "Writes JSON lines, one object per row, replacing the file only when the run succeeds.",
	Examples: []sdk.Example{{
		Title: "Rejected rows with their reasons",
		HCL: `sink "jsonl" "rejects" {
  path = "out/rejects.jsonl"
}`,
	}},
}

// Source is the jsonl source plugin.
var Source = sdk.SourcePlugin(sourceInfo, newSource)

// Sink is the jsonl sink plugin.
var Sink = sdk.SinkPlugin(sinkInfo, newSink)
