# Active, valuable customers from a lake of Parquet files into Dynamics 365
# contacts, with DuckDB as the query engine and no warehouse server at all.
#
#   sluice run pipelines/parquet-to-dynamics.hcl \
#     --var input='lake/customers/*.parquet' \
#     --var dynamics_url=https://contoso.crm.dynamics.com \
#     --var tenant_id=… --var client_id=…   # client_secret: SLUICE_VAR_client_secret
#
# DuckDB reads only the columns the query names, and streams the result.
# pipelines/parquet-to-jsonl.hcl is the same read, written to a file.

variable "input" {
  description = "Parquet file or glob of the customer lake."
  default     = "testdata/customers.parquet"
}

variable "min_value" {
  description = "Lifetime value a customer needs to be synced."
  type        = number
  default     = 100
}

variable "dynamics_url" {
  description = "Dynamics 365 environment URL."
}

variable "tenant_id" {}
variable "client_id" {}

variable "client_secret" {
  sensitive = true
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
  SQL
  args    = [var.min_value]
  rejects = sink.rejects
}

sink "dynamics" "contacts" {
  input = source.segment
  url   = var.dynamics_url
  auth {
    tenant_id     = var.tenant_id
    client_id     = var.client_id
    client_secret = var.client_secret
    # authority = "https://login.microsoftonline.us"  # a national cloud
    # ca_file   = "certs/emulator-ca.pem"             # a private CA
  }
  table     = "contact"
  operation = "upsert"
  key       = { emailaddress1 = "email" }
  mapping {
    firstname     = "first_name"
    lastname      = "last_name"
    telephone1    = "phone"
    address1_city = "city"
  }
  rejects = sink.rejects
}

sink "jsonl" "rejects" {
  path = "out/rejects.jsonl"
}
