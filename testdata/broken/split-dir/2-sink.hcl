transform "map" "m" {
  input   = source.customers
  columns = { tier = "lifetime_value > 1000 ? 'gold' : missing_column" }
}

sink "parquet" "out" {
  input       = transform.m
  path        = "out/customers.parquet"
  compression = "rar"
}
