package parquet

import "github.com/sluicedata/sluice/sdk"

// SourceConfig configures the parquet source.
type SourceConfig struct {
	Path      string   `sluice:"path,required" doc:"Parquet file to read, or a glob: every match is read, in name order, as one table. All files must have the same schema." example:"\"warehouse/segment-*.parquet\""`
	Columns   []string `sluice:"columns" doc:"Columns to read, in this order. Default: all. Reading fewer columns reads less of the file." example:"[\"customer_id\", \"email\"]"`
	BatchRows int      `sluice:"batch_rows" default:"16384" doc:"Rows per batch. A batch never spans two row groups."`
}

// SinkConfig configures the parquet sink.
type SinkConfig struct {
	Path         string `sluice:"path,required" doc:"File to write. It is written to a temporary file beside it and renamed into place when the run succeeds, so a failed run leaves the previous file as it was. Missing directories are created." example:"\"out/contacts.parquet\""`
	Compression  string `sluice:"compression" default:"snappy" doc:"Compression codec: snappy, zstd, gzip, lz4, brotli or none." example:"\"zstd\""`
	RowGroupRows int    `sluice:"row_group_rows" default:"131072" doc:"Rows per row group. Larger row groups compress better and read faster; the sink holds one in memory while it fills."`
}

var sourceInfo = sdk.Info{
	Name:    "parquet",
	Version: "1.0.0",
	Summary: "Reads Parquet files, row group by row group.",
	Examples: []sdk.Example{{
		Title: "Two columns of a set of files",
		HCL: `source "parquet" "segment" {
  path    = "warehouse/segment-*.parquet"
  columns = ["customer_id", "email"]
}`,
	}},
}

var sinkInfo = sdk.Info{
	Name:    "parquet",
	Version: "1.0.0",
	Summary: "Writes a Parquet file, replacing it only when the run succeeds.",
	Examples: []sdk.Example{{
		Title: "zstd-compressed output",
		HCL: `sink "parquet" "out" {
  input       = source.segment
  path        = "out/segment.parquet"
  compression = "zstd"
}`,
	}},
}

// Source is the parquet source plugin.
var Source = sdk.SourcePlugin(sourceInfo, newSource)

// Sink is the parquet sink plugin.
var Sink = sdk.SinkPlugin(sinkInfo, newSink)
