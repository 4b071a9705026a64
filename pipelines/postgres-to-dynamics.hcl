# Customers of one region changed since the last run, from the warehouse into
# Dynamics 365 contacts.
#
#   sluice run pipelines/postgres-to-dynamics.hcl \
#     --var warehouse_url=postgres://sluice_reader@warehouse.internal/analytics \
#     --var dynamics_url=https://contoso.crm.dynamics.com \
#     --var tenant_id=… --var client_id=…   # client_secret: SLUICE_VAR_client_secret
#
# Incremental: each run reads only the rows whose (updated_at, customer_id)
# is past the last row the previous run delivered; the engine keeps that mark
# and stores it only once the rows before it are written, so a failed run is
# just run again. Rows updated in the last two minutes wait for the next run,
# so transactions still committing are not skipped (docs/postgres.md).
# pipelines/postgres-to-jsonl.hcl is the same read, written to a file.

variable "warehouse_url" {
  description = "postgres:// URL of the warehouse, with or without the password."
  sensitive   = true
}

variable "warehouse_ca_file" {
  description = "CA certificate that signed the warehouse server's certificate."
  default     = "certs/warehouse-ca.pem"
}

variable "region" {
  description = "Region whose customers to sync."
  default     = "EU"
}

variable "dynamics_url" {
  description = "Dynamics 365 environment URL."
}

variable "tenant_id" {}
variable "client_id" {}

variable "client_secret" {
  sensitive = true
}

source "postgres" "changed_customers" {
  url     = var.warehouse_url
  sslmode = "verify-full"
  ca_file = var.warehouse_ca_file

  # lifetime_value is cast to a bounded numeric so that it arrives as a
  # decimal(12,2), not as text.
  query = <<-SQL
    SELECT customer_id, email, first_name, last_name, company, phone, city,
           lifetime_value::numeric(12,2) AS lifetime_value, is_active, updated_at
    FROM crm_segment
    WHERE region = $1
  SQL
  args = [var.region]

  incremental {
    cursor = ["updated_at", "customer_id"]
    lag    = "2m"
  }
  rejects = sink.rejects
}

transform "map" "contact" {
  input = source.changed_customers
  columns = {
    email = "normalizeEmail(email)"
    phone = "normalizePhone(phone)"
  }
  rejects = sink.rejects
}

sink "dynamics" "contacts" {
  input = transform.contact
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
