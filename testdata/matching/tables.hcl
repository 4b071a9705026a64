# Emulator tables for the matching fixture and the ZoomInfo- and Captello-style pipelines: contacts and leads carry
# the id the source system gives each person (an "external id" column, as ZoomInfo's integration adds one), with an
# alternate key on it, as an administrator would define to keep it unique and indexed.
table "contact" {
  column "sluice_externalid" {
    type         = "string"
    max_length   = 40
    display_name = "External ID"
  }
  key "sluice_externalid" {
    columns = ["sluice_externalid"]
  }
}

table "lead" {
  column "sluice_externalid" {
    type         = "string"
    max_length   = 40
    display_name = "External ID"
  }
  key "sluice_externalid" {
    columns = ["sluice_externalid"]
  }
}
