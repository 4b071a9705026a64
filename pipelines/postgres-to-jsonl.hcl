# The read of pipelines/postgres-to-dynamics.hcl, written to a JSON lines
# file: customers of one region changed since the last run.
#
#   sluice run pipelines/postgres-to-jsonl.hcl \
#     --var warehouse_url=postgres://sluice_reader@localhost/analytics
#
# The table it reads:
#
#   CREATE TABLE crm_segment (
#     customer_id bigint PRIMARY KEY, email text, first_name text, last_name text,
#     company text, phone text, city text, region text, lifetime_value numeric,
#     is_active boolean, updated_at timestamptz NOT NULL DEFAULT now());
#   CREATE INDEX ON crm_segment (updated_at, customer_id);

variable "warehouse_url" {
  description = "postgres:// URL of the warehouse, with or without the password."
  sensitive   = true
}

variable "sslmode" {
  description = "disable for a local server; verify-full across a network."
  default     = "prefer"
}

variable "region" {
  description = "Region whose customers to read."
  default     = "EU"
}

variable "rejects" {
  default = "out/rejects.jsonl"
}

variable "output" {
  default = "out/changed-customers.jsonl"
}

source "postgres" "changed_customers" {
  url     = var.warehouse_url
  sslmode = var.sslmode

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

sink "jsonl" "contacts" {
  input = transform.contact
  path  = var.output
}

sink "jsonl" "rejects" {
  path = var.rejects
}
