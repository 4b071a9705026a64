# Expressions are compiled against the schema of their input.
source "csv" "customers" {
  path = "testdata/broken/customers.csv"
}

transform "filter" "valuable" {
  input = source.customers
  where = "is_active && lifetime_valu > 100"
}

transform "map" "normalize" {
  input = transform.valuable
  columns = {
    email     = "lower(trim(email))"
    full_name = "first_name + ' ' + last_name"
    score     = "lifetime_value + 'points'"
    domain    = <<-EXPR
      is_active
        ? domainOf(email)
        : 42
    EXPR
  }
}

transform "dedupe" "by_email" {
  input = transform.normalize
  key   = "email"
  keep  = "greatest"
}

sink "jsonl" "out" {
  input = transform.by_email
  path  = "out/customers.jsonl"
}
