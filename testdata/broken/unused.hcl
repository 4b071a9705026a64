# A source nothing reads is a warning; it is shown beside the errors, once.
source "csv" "customers" {
  path = "testdata/broken/customers.csv"
}

source "csv" "leftover" {
  path = "testdata/broken/customers.csv"
}

transform "filter" "active" {
  input = source.customers
  where = "is_active && lifetime_value > 'a lot'"
}

sink "jsonl" "out" {
  input = transform.active
  path  = "out/customers.jsonl"
}
