# References to nodes that do not exist, a cycle, and a rejects sink with an input.
source "csv" "customers" {
  path = "testdata/broken/customers.csv"
}

transform "filter" "a" {
  input = transform.b
  where = "true"
}

transform "filter" "b" {
  input = transform.a
  where = "true"
}

transform "map" "m" {
  input   = source.custmers
  columns = { x = "1" }
  rejects = sink.rejects
}

sink "jsonl" "out" {
  input = "transform.m"
  path  = "out/x.jsonl"
}

sink "jsonl" "rejects" {
  input = source.customers
  path  = "out/rejects.jsonl"
}
