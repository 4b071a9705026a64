source "cvs" "customers" {
  path = "testdata/customers.csv"
}

sink "jsonl" "out" {
  input = source.customers
  path  = "out/customers.jsonl"
}
