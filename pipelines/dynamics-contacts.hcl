# Upserts a warehouse segment into Dynamics 365 contacts, matched by email.
#
# Active customers from the segment file are normalised and written to the
# contact table with UpsertMultiple: a contact whose email exists is
# updated, the others are created. Rows that cannot be written — no email, a
# value too long for its column — go to out/contacts-rejects.csv with the
# reason, and the run goes on.
#
# The connection comes from the environment, as `sluice emulator dynamics
# --env-file` writes it; see pipelines/README.md. Against a real environment,
# set DATAVERSE_URL, DATAVERSE_TENANT_ID, DATAVERSE_CLIENT_ID and
# DATAVERSE_CLIENT_SECRET, leave DATAVERSE_AUTHORITY and DATAVERSE_CA_FILE
# unset, and define an alternate key on the contact's email
# (docs/dynamics.md, "Administrator's checklist").

variable "segment" {
  description = "The segment to sync: a CSV export with one row per customer."
  default     = "testdata/segment-300.csv"
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

source "csv" "segment" {
  path        = var.segment
  null_values = [""]
}

transform "filter" "active" {
  input = source.segment
  where = "is_active"
}

transform "map" "normalize" {
  input = transform.active
  columns = {
    email   = "lower(trim(email ?? ''))"
    company = "trim(company)"
  }
}

sink "dynamics" "contacts" {
  input = transform.normalize
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
    firstname                  = "first_name"
    lastname                   = "last_name ?? 'Unknown'"
    telephone1                 = "phone"
    address1_city              = "city"
    address1_country           = "country"
    websiteurl                 = "website"
    description                = "company + ' (' + segment + ')'"
    preferredcontactmethodcode = "segment == 'vip' ? 'Phone' : 'Email'"
    creditlimit                = "lifetime_value"
  }

  batch { rows = 500 }
  rejects = sink.rejects
}

sink "csv" "rejects" {
  path = "out/contacts-rejects.csv"
}
