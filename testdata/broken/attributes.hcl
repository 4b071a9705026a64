# Misspelled, missing and wrongly typed attributes.
source "csv" "customers" {
  paht      = "testdata/broken/customers.csv"
  delimiter = [","]
}

transform "filter" "active" {
  input = source.customers
}

sink "jsonl" "out" {
  input = transform.active
  path  = "out/customers.jsonl"
  batch {
    rows = 0
  }
}
