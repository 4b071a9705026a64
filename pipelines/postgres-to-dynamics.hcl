# Customers of one region changed since the last run, from the warehouse into
# Dynamics 365 contacts.
#
#   sluice run pipelines/postgres-to-dynamics.hcl
#   sluice run pipelines/postgres-to-dynamics.hcl --var region=AM
#
# Incremental: each run reads only the rows whose (updated_at, customer_id)
# is past the last row the previous run delivered; the engine keeps that mark
# and stores it only once the rows before it are written, so a failed run is
# just run again. Rows updated in the last two minutes wait for the next run,
# so transactions still committing are not skipped (docs/postgres.md). The
# sync block then holds back rows whose values did not change (a row touched
# without a real change) before they reach Dynamics. Rows cannot "leave" an
# incremental read, so on_leave stays "nothing".
#
# The warehouse: WAREHOUSE_URL (postgres://user:password@host/db; never
# printed), with WAREHOUSE_SSLMODE and WAREHOUSE_CA_FILE to verify its
# certificate — use verify-full across a network you do not control.
# pipelines/warehouse.sql makes a table to try it with. Dynamics: the
# environment `sluice emulator dynamics --env-file` writes, or DATAVERSE_URL,
# DATAVERSE_TENANT_ID, DATAVERSE_CLIENT_ID and DATAVERSE_CLIENT_SECRET for a
# real one. pipelines/README.md runs it step by step.
# pipelines/postgres-to-jsonl.hcl is the same read, written to a file.

variable "warehouse_url" {
  description = "postgres:// URL of the warehouse, with or without the password."
  default     = env("WAREHOUSE_URL")
  sensitive   = true
}

variable "warehouse_sslmode" {
  description = "disable, prefer, require, verify-ca or verify-full."
  default     = env("WAREHOUSE_SSLMODE", "prefer")
}

variable "warehouse_ca_file" {
  description = "CA certificate that signed the warehouse server's certificate; empty for the system's."
  default     = env("WAREHOUSE_CA_FILE", "")
}

variable "region" {
  description = "Region whose customers to sync."
  default     = "EU"
}

variable "rejects" {
  description = "Where rows that cannot be written go, with the reason."
  default     = "out/postgres-to-dynamics-rejects.jsonl"
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

source "postgres" "changed_customers" {
  url     = var.warehouse_url
  sslmode = var.warehouse_sslmode
  ca_file = var.warehouse_ca_file

  # lifetime_value is cast to a bounded numeric so that it arrives as a
  # decimal(12,2), not as text.
  query = <<-SQL
    SELECT customer_id, email, first_name, last_name, phone, city,
           lifetime_value::numeric(12,2) AS lifetime_value, updated_at
    FROM crm_segment
    WHERE region = $1 AND is_active
  SQL
  args = [var.region]

  incremental {
    cursor = ["updated_at", "customer_id"]
    lag    = "2m"
  }
  rejects = sink.rejects
}

# The cursor columns have done their work at the source: the sink gets only
# what it writes, so that a row touched without a real change hashes as
# before and is not sent.
transform "map" "contact" {
  input = source.changed_customers
  columns = {
    email = "normalizeEmail(email)"
    phone = "normalizePhone(phone)"
  }
  drop    = ["customer_id", "updated_at"]
  rejects = sink.rejects
}

sink "dynamics" "contacts" {
  input = transform.contact
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

  sync { mode = "changes" }
  rejects = sink.rejects
}

sink "jsonl" "rejects" {
  path = var.rejects
}
