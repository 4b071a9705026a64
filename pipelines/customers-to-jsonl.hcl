# A warehouse segment export, cleaned and deduplicated, written as JSON lines.
#
#   go run ./cmd/sluice run pipelines/customers-to-jsonl.hcl
#
# Rows that cannot be processed land in out/rejects.jsonl with the reason.

variable "input" {
  description = "The segment export to read."
  default     = "testdata/customers.csv"
}

variable "min_value" {
  description = "Lifetime value a customer needs to be included."
  type        = number
  default     = 100
}

source "csv" "segment" {
  path    = var.input
  schema  = { lifetime_value = "float64", updated_at = "timestamp" }
  rejects = sink.rejects
}

# Active customers worth more than var.min_value.
transform "filter" "valuable" {
  input = source.segment
  where = "is_active && lifetime_value > ${var.min_value}"
}

# Normalised contact details and a couple of derived columns.
transform "map" "normalize" {
  input = transform.valuable
  columns = {
    email     = "normalizeEmail(email)"
    full_name = "titleCase(first_name + ' ' + last_name)"
    phone     = "normalizePhone(phone)"
    tier      = "lifetime_value > 1000 ? 'gold' : 'standard'"
  }
  drop    = ["segment"]
  rejects = sink.rejects
}

# One row per email: the most recently updated one.
transform "dedupe" "by_email" {
  input = transform.normalize
  key   = "email"
  keep  = "greatest"
  by    = "updated_at"
}

sink "jsonl" "customers" {
  input = transform.by_email
  path  = "out/customers.jsonl"
}

sink "jsonl" "rejects" {
  path = "out/rejects.jsonl"
}
