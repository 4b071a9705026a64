# Captello-style event lead capture into Dynamics 365: badge scans become
# leads, unless the person is already known. As Captello's duplicate
# management does it:
#
#   - search leads first, then contacts, each by email, then by first and
#     last name (search = "tables": a lead found by name wins over a contact
#     found by email);
#   - when several records match, update the most recently updated one;
#   - when none does, create a lead (the sink's table);
#   - a person scanned twice counts once: the latest scan wins.
#
# Found contacts get the columns contacts have (names, email, title,
# phone); the lead's own columns (topic, company) are for leads.
#
# Against the emulator (see pipelines/README.md):
#
#   sluice emulator dynamics --tls --tables testdata/matching/tables.hcl \
#     --seed testdata/matching/crm.json --env-file out/dataverse.env &
#   . out/dataverse.env
#   sluice plan pipelines/captello-leads.hcl
#   sluice run pipelines/captello-leads.hcl
#
# testdata/matching/captello-expected.csv says what it does with each scan.

variable "scans" {
  description = "Badge scans: one row per scan."
  default     = "testdata/matching/badge-scans.csv"
}

variable "rejects" {
  description = "Where rows that cannot be written go, with the reason."
  default     = "out/captello-rejects.csv"
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

source "csv" "scans" {
  path        = var.scans
  null_values = [""]
  schema      = { phone = "string", scanned_at = "timestamp" }
}

sink "dynamics" "leads" {
  input = source.scans
  url   = var.dataverse_url
  auth {
    tenant_id     = var.tenant_id
    client_id     = var.client_id
    client_secret = var.client_secret
    authority     = var.authority
    ca_file       = var.ca_file
  }

  table = "lead"

  match {
    tables = ["lead", "contact"]
    search = "tables"
    rule "email" {
      equals = { emailaddress1 = "lower(trim(email))" }
    }
    rule "name" {
      equals = { firstname = "trim(first_name)", lastname = "trim(last_name)" }
    }
    on_multiple = "most_recently_modified"
    on_none     = "create"
    keep        = "last"
    order_by    = "scanned_at"
  }

  mapping {
    subject       = { value = "'Badge scan at ' + event", update = "never" }
    firstname     = "first_name"
    lastname      = { value = "last_name", default = "'Unknown'" }
    emailaddress1 = "lower(trim(email ?? ''))"
    companyname   = "company"
    jobtitle      = "title"
    telephone1    = "phone"
  }

  rejects = sink.rejects
}

sink "csv" "rejects" {
  path = var.rejects
}
