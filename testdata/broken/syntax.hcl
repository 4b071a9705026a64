source "csv" "customers" {
  path = "testdata/broken/customers.csv"

sink "jsonl" "out" {
  input = source.customers
  path  = "out/customers.jsonl"
}
