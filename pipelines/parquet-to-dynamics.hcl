# Active, valuable customers from a lake of Parquet files into Dynamics 365
# contacts, with DuckDB as the query engine and no warehouse server at all:
# a change-only sync.
#
#   sluice run pipelines/parquet-to-dynamics.hcl
#   sluice run pipelines/parquet-to-dynamics.hcl --var input='lake/customers/*.parquet'
#
# Every run reads the whole segment, but sends only the customers that are
# new or changed since the last run: the engine keeps a hash of what it
# wrote for each email in pipelines/.sluice/parquet-to-dynamics.db. The
# contacts of customers who left the segment — no longer active, or worth
# less than min_value — are deactivated (statecode Inactive), at most 10% of
# them in one run unless `--allow-mass-delete` says it is right: an empty or
# broken export must not deactivate everyone. pipelines/README.md runs it
# against the Dataverse emulator, step by step.
#
# The connection comes from the environment, as `sluice emulator dynamics
# --env-file` writes it. Against a real environment set DATAVERSE_URL,
# DATAVERSE_TENANT_ID, DATAVERSE_CLIENT_ID and DATAVERSE_CLIENT_SECRET, and
# define an alternate key on the contact's email (docs/dynamics.md).
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

variable "rejects" {
  description = "Where rows that cannot be written go, with the reason."
  default     = "out/parquet-to-dynamics-rejects.jsonl"
}

variable "dataverse_url" {
  default = env("DATAVERSE_URL")
}
variable "tenant_id" {
  default = env("DATAVERSE_TENANT_ID")
}
variable "client_id" {
  default = env("DATAVERSE_CLIENT_ID")
}
variable "client_secret" {
  default   = env("DATAVERSE_CLIENT_SECRET")
  sensitive = true
}
variable "authority" {
  description = "Token authority; empty for Microsoft Entra ID (login.microsoftonline.com)."
  default     = env("DATAVERSE_AUTHORITY", "")
}
variable "ca_file" {
  description = "Extra certificate authorities to trust; empty for the system's only."
  default     = env("DATAVERSE_CA_FILE", "")
}

source "duckdb" "segment" {
  setup = ["SET memory_limit = '1GB'"]
  # One row per email: the most recently updated. Only the columns the sink
  # writes: the sync compares every column it is given, and a timestamp that
  # changes with every export would make every row look changed.
  query = <<-SQL
    SELECT lower(trim(email)) AS email, first_name, last_name, phone, city,
           lifetime_value
    FROM read_parquet('${var.input}')
    WHERE is_active AND lifetime_value > $1 AND email IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY lower(trim(email)) ORDER BY updated_at DESC) = 1
  SQL
  args    = [var.min_value]
  rejects = sink.rejects
}

sink "dynamics" "contacts" {
  input = source.segment
  url   = var.dataverse_url
  auth {
    tenant_id     = var.tenant_id
    client_id     = var.client_id
    client_secret = var.client_secret
    authority     = var.authority
    ca_file       = var.ca_file
  }
  table     = "contact"
  operation = "upsert"
  key       = { emailaddress1 = "email" }
  mapping {
    firstname     = "first_name"
    lastname      = "last_name ?? 'Unknown'"
    telephone1    = "phone"
    address1_city = "city"
    creditlimit   = "lifetime_value"
  }

  # Send only what changed; deactivate the contacts of customers who left.
  sync {
    mode              = "changes"
    on_leave          = "deactivate"
    max_leave_percent = 10
  }
  rejects = sink.rejects
}

sink "jsonl" "rejects" {
  path = var.rejects
}
