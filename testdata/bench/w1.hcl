# W1: a segment export, filtered and normalised, written as JSON lines.
variable "input" { default = "testdata/generated/segment-1m.csv" }
variable "output" { default = "out/bench/w1.jsonl" }

source "csv" "segment" {
  path = var.input
}

transform "filter" "active" {
  input = source.segment
  where = "is_active && lifetime_value > 100"
}

transform "map" "normalize" {
  input = transform.active
  columns = {
    email     = "lower(trim(email))"
    full_name = "first_name + \" \" + last_name"
    tier      = "lifetime_value > 1000 ? \"gold\" : \"std\""
  }
}

sink "jsonl" "out" {
  input = transform.normalize
  path  = var.output
}
