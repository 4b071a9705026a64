# A directory of files is one pipeline: references cross files.
source "csv" "customers" {
  path = "testdata/broken/customers.csv"
}
