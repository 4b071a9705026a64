package postgres

import (
	"time"

	"github.com/sluicedata/sluice/sdk"
)

// SourceConfig configures the postgres source. It reads top to bottom as a
// data engineer thinks about it: where the server is, how to talk to it
// securely, what to ask, and how much to read at a time.
type SourceConfig struct {
	URL      string `sluice:"url,sensitive" doc:"Connection URL (postgres://user:password@host:5432/database?sslmode=verify-full) or libpq keyword/value string. Use it instead of host, port, database, user and password. It is sensitive: it usually holds a password." example:"var.warehouse_url"`
	Host     string `sluice:"host" doc:"Server host name or IP address, or the directory of a unix socket. Attributes left unset fall back to libpq's environment variables (PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD, PGSSLMODE…) and ~/.pgpass, as psql does." example:"\"warehouse.internal\""`
	Port     int    `sluice:"port" doc:"Server port. Default: 5432."`
	Database string `sluice:"database" doc:"Database to connect to." example:"\"analytics\""`
	User     string `sluice:"user" doc:"User to connect as." example:"\"sluice_reader\""`
	Password string `sluice:"password,sensitive" doc:"Password of user." example:"var.warehouse_password"`

	SSLMode  string `sluice:"sslmode" doc:"TLS mode, as in libpq: disable, allow, prefer (the default: TLS if the server offers it, unverified), require (TLS, unverified), verify-ca (TLS, certificate signed by a trusted CA) or verify-full (verify-ca, and the certificate names the host). Use verify-full across any network you do not control." example:"\"verify-full\""`
	CAFile   string `sluice:"ca_file" doc:"PEM file of the CA certificates that verify-ca and verify-full trust (libpq's sslrootcert). Default: the system's trusted CAs." example:"\"certs/warehouse-ca.pem\""`
	CertFile string `sluice:"cert_file" doc:"Client certificate, PEM, for servers that authenticate clients by certificate (libpq's sslcert)." example:"\"certs/sluice.crt\""`
	KeyFile  string `sluice:"key_file" doc:"Private key of cert_file, PEM (libpq's sslkey)." example:"\"certs/sluice.key\""`

	ConnectTimeout time.Duration `sluice:"connect_timeout" default:"30s" doc:"How long to wait for the connection, TLS handshake and authentication."`

	Query string `sluice:"query,required" doc:"SQL query whose rows are the source's rows, with $1, $2, … for the values of args. Its result columns become the batch columns; see the type mapping in docs/postgres.md. The whole query runs in one statement, so it reads one consistent snapshot." example:"\"SELECT id, email, updated_at FROM crm_segment WHERE region = $1\""`
	Args  any    `sluice:"args" doc:"List of the values of the query's parameters: the first is $1; strings, numbers, bools, null and lists may be mixed. Each is sent as text and converted by the server to the type the query gives its parameter; a list becomes an array." example:"[var.region]"`

	BatchRows int `sluice:"batch_rows" default:"10000" doc:"Rows per batch. Rows stream from the server as the pipeline takes them, so memory holds about two batches whatever the size of the result."`

	Incremental *IncrementalConfig `sluice:"incremental,block" doc:"Read only the rows added or changed since the last successful run, by a cursor of ordered columns. Without it every run reads the whole result."`
}

// IncrementalConfig configures incremental reads.
type IncrementalConfig struct {
	Cursor []string      `sluice:"cursor,required" doc:"Result columns whose values only grow as rows are added or changed, most significant first, ending with a unique one: [\"updated_at\", \"id\"]. Each run reads the rows whose cursor is greater than the last row the previous run delivered, in cursor order. Types: integers, numeric, text, uuid, date, timestamp, timestamptz. Rows where a cursor column is null are never read." example:"[\"updated_at\", \"id\"]"`
	Lag    time.Duration `sluice:"lag" doc:"Leave rows whose first cursor column (a date or timestamp) is within this long of the server's clock for the next run, so that rows committed late by long transactions are not skipped. See docs/postgres.md." example:"\"5m\""`
}

var sourceInfo = sdk.Info{
	Name:    "postgres",
	Version: "1.0.0",
	Summary: "Reads the result of a PostgreSQL query, streamed, optionally only the rows changed since the last run.",
	Description: "Connects with pgx, runs the query once with its parameters, and streams the result in batches " +
		"without holding it in memory. Each PostgreSQL type maps to an Arrow type (see docs/postgres.md); a value " +
		"that does not convert rejects its row. With an incremental block each run resumes after the cursor of " +
		"the last row the previous run delivered.",
	Examples: []sdk.Example{
		{
			Title: "A segment query with a parameter",
			HCL: `source "postgres" "segment" {
  url   = var.warehouse_url
  query = "SELECT id, email, first_name, lifetime_value FROM crm_segment WHERE region = $1"
  args  = [var.region]
}`,
		},
		{
			Title: "Only the rows changed since the last run",
			HCL: `source "postgres" "changed" {
  host     = "warehouse.internal"
  database = "analytics"
  user     = "sluice_reader"
  password = var.warehouse_password
  sslmode  = "verify-full"
  ca_file  = "certs/warehouse-ca.pem"

  query = "SELECT id, email, updated_at FROM customers"
  incremental {
    cursor = ["updated_at", "id"]
    lag    = "1m"
  }
}`,
		},
	},
}

// Source is the postgres source plugin.
var Source = sdk.SourcePlugin(sourceInfo, newSource)
