# W1 with its filter and map transforms served out of process: the builtin
# filter and map, served by plugins/examples/transforms as ext_filter and
# ext_map (the sluice command has the builtins compiled in, and two plugins
# may not share a name). Otherwise the same pipeline as w1.hcl, so that the
# two measure what the process boundary costs. `make bench` builds the
# binary and passes its checksum.
variable "input" { default = "testdata/generated/segment-1m.csv" }
variable "output" { default = "out/bench/w1-external.jsonl" }
variable "transforms_path" { default = "../../bin/sluice-plugin-ext-transforms" }
variable "transforms_sha256" {}

plugin "transforms" {
  path   = var.transforms_path
  sha256 = var.transforms_sha256
}

source "csv" "segment" {
  path = var.input
}

transform "ext_filter" "active" {
  input = source.segment
  where = "is_active && lifetime_value > 100"
}

transform "ext_map" "normalize" {
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
