# W5: the segment Parquet file W3 writes, read with DuckDB and written to
# Parquet again. --var where=false drops every row after the source, to
# time the source alone.
variable "input" { default = "testdata/generated/segment-1000000.parquet" }
variable "output" { default = "out/bench/w5.parquet" }
variable "where" { default = "true" }

source "duckdb" "segment" {
  query = "SELECT * FROM read_parquet('${var.input}')"
}

transform "filter" "keep" {
  input = source.segment
  where = var.where
}

sink "parquet" "out" {
  input = transform.keep
  path  = var.output
}
