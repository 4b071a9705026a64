# ZoomInfo-style export of people into Dynamics 365 contacts, matched the way
# ZoomInfo's integration matches them: by the person's id, then by email,
# then by first name + last name + company — among contacts first, then
# leads, a contact winning when the same person is both.
#
#   - Found: the record is updated. The job title is complete-if-missing (a
#     title sales typed in is kept); the phone is the direct line, or the
#     company's when there is none; empty values never blank out CRM data.
#   - Found several (two John Smiths at Acme): the most recently modified.
#   - Found none: a contact is created, "Unknown" standing in for a missing
#     last name.
#   - The same person twice in the export: the row updated last wins.
#   - Every contact and lead is associated with its account by name (the
#     most recently modified of two of one name); an account that does not
#     exist is created, once however many people name it.
#
# `sluice plan` shows all of it row by row before anything is written.
# Against the emulator (see pipelines/README.md):
#
#   sluice emulator dynamics --tls --tables testdata/matching/tables.hcl \
#     --seed testdata/matching/crm.json --env-file out/dataverse.env &
#   . out/dataverse.env
#   sluice plan pipelines/zoominfo-contacts.hcl
#   sluice run pipelines/zoominfo-contacts.hcl
#
# testdata/matching/expected.csv says what it does with each row, and the
# tests hold it to that.

variable "people" {
  description = "The export: one row per person."
  default     = "testdata/matching/input.csv"
}

variable "rejects" {
  description = "Where rows that cannot be written go, with the reason."
  default     = "out/zoominfo-rejects.csv"
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

source "csv" "people" {
  path        = var.people
  null_values = [""]
  schema      = { ext_id = "string", direct_phone = "string", company_phone = "string", updated_at = "timestamp" }
}

sink "dynamics" "contacts" {
  input = source.people
  url   = var.dataverse_url
  auth {
    tenant_id     = var.tenant_id
    client_id     = var.client_id
    client_secret = var.client_secret
    authority     = var.authority
    ca_file       = var.ca_file
  }

  table = "contact"

  match {
    tables = ["contact", "lead"]
    rule "external_id" {
      equals = { sluice_externalid = "ext_id" }
    }
    rule "email" {
      equals = { emailaddress1 = "lower(trim(email))" }
    }
    rule "name" {
      equals = { firstname = "trim(first)", lastname = "trim(last)", "parentcustomerid_account/name" = "trim(company)" }
      tables = ["contact"]
    }
    rule "lead_name" {
      equals = { firstname = "trim(first)", lastname = "trim(last)", companyname = "trim(company)" }
      tables = ["lead"]
    }
    on_multiple = "most_recently_modified"
    on_none     = "create"
    keep        = "last"
    order_by    = "updated_at"
  }

  merge {
    empty = "skip"
  }

  mapping {
    sluice_externalid = "ext_id"
    firstname         = "first"
    lastname          = { value = "last", default = "'Unknown'" }
    emailaddress1     = "lower(trim(email ?? ''))"
    jobtitle          = { value = "title", update = "if_empty" }
    telephone1        = ["direct_phone", "company_phone"]
  }

  account {
    rule "name" {
      equals = { name = "trim(company)" }
    }
    on_none     = "create"
    on_multiple = "most_recently_modified"
    create      = { name = "trim(company)" }
  }

  rejects = sink.rejects
}

sink "csv" "rejects" {
  path = var.rejects
}
