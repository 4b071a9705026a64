# W2: W1, then one row per normalised email, keeping the latest update.
variable "input" { default = "testdata/generated/segment-1m.csv" }
variable "output" { default = "out/bench/w2.jsonl" }

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

transform "dedupe" "by_email" {
  input = transform.normalize
  key   = "email"
  keep  = "greatest"
  by    = "updated_at"
}

sink "jsonl" "out" {
  input = transform.by_email
  path  = var.output
}
