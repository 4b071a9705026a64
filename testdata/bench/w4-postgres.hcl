# W4: the segment read from PostgreSQL, written to Parquet (W3 with a
# postgres source). The table: the segment CSV loaded with COPY, see
# docs/benchmarks.md. --var where=false drops every row after the
# source, to time the source alone.
variable "url" { default = "postgres://postgres@127.0.0.1:55432/bench?sslmode=disable" }
variable "output" { default = "out/bench/w4.parquet" }
variable "where" { default = "true" }

source "postgres" "segment" {
  url   = var.url
  query = "SELECT * FROM segment"
}

transform "filter" "keep" {
  input = source.segment
  where = var.where
}

sink "parquet" "out" {
  input = transform.keep
  path  = var.output
}
