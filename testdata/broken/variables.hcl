# A variable without a default that nobody gave, and one of the wrong type.
variable "input" {
  type = string
}

variable "min_value" {
  type    = number
  default = "a lot"
}

source "csv" "customers" {
  path = var.input
}

transform "filter" "valuable" {
  input = source.customers
  where = "lifetime_value > ${var.min_value}"
}

sink "jsonl" "out" {
  input = transform.valuable
  path  = local.output
}
