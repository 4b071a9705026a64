# W3: a segment export converted to Parquet.
variable "input" { default = "testdata/generated/segment-1m.csv" }
variable "output" { default = "out/bench/w3.parquet" }

source "csv" "segment" {
  path = var.input
}

sink "parquet" "out" {
  input = source.segment
  path  = var.output
}
