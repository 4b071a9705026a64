# Emulator tables for the matching fixture and the ZoomInfo- and Captello-style pipelines: contacts and leads carry
# the id the source system gives each person (an "external id" column, as ZoomInfo's integration adds one).
table "contact" {
  column "sluice_externalid" {
    type         = "string"
    max_length   = 40
    display_name = "External ID"
  }
}

table "lead" {
  column "sluice_externalid" {
    type         = "string"
    max_length   = 40
    display_name = "External ID"
  }
}
