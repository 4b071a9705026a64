# Custom tables used by Microsoft's documented examples (testdata/dataverse/examples).

# use-upsert-insert-update-record.md: a table with a two-column alternate key.
table "example_record" {
  entity_set   = "example_records"
  primary_id   = "example_recordid"
  primary_name = "example_name"

  column "example_name" {
    type       = "string"
    max_length = 100
  }
  column "example_key1" {
    type = "integer"
  }
  column "example_key2" {
    type = "integer"
  }
  key "example_key" {
    columns = ["example_key1", "example_key2"]
  }
}

# bulk-operations.md: a table with a string alternate key.
table "sample_example" {
  entity_set   = "sample_examples"
  primary_id   = "sample_exampleid"
  primary_name = "sample_name"

  column "sample_name" {
    type       = "string"
    max_length = 100
  }
  column "sample_keyattribute" {
    type       = "string"
    max_length = 100
  }
  key "sample_keyattribute" {
    columns = ["sample_keyattribute"]
  }
}
