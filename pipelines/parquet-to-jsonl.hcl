# The read of pipelines/parquet-to-dynamics.hcl, written to a JSON lines file:
# active, valuable customers from Parquet files, one row per email, queried
# with DuckDB.
#
#   go run ./cmd/sluice run pipelines/parquet-to-jsonl.hcl
#   go run ./cmd/sluice run pipelines/parquet-to-jsonl.hcl --var input='lake/*.parquet'

variable "input" {
  description = "Parquet file or glob of the customer lake."
  default     = "testdata/customers.parquet"
}

variable "min_value" {
  description = "Lifetime value a customer needs to be included."
  type        = number
  default     = 100
}

variable "rejects" {
  default = "out/rejects.jsonl"
}

variable "output" {
  default = "out/valuable-customers.jsonl"
}

source "duckdb" "segment" {
  setup = ["SET memory_limit = '1GB'"]
  # One row per email: the most recently updated.
  query = <<-SQL
    SELECT customer_id, lower(trim(email)) AS email, first_name, last_name,
           phone, city, lifetime_value, updated_at
    FROM read_parquet('${var.input}')
    WHERE is_active AND lifetime_value > $1 AND email IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY lower(trim(email)) ORDER BY updated_at DESC) = 1
    ORDER BY customer_id
  SQL
  args    = [var.min_value]
  rejects = sink.rejects
}

sink "jsonl" "contacts" {
  input = source.segment
  path  = var.output
}

sink "jsonl" "rejects" {
  path = var.rejects
}
