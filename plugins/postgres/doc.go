// Package postgres is the postgres source: the result of one SQL query,
// streamed from a PostgreSQL server into Arrow record batches, optionally
// only the rows added or changed since the last run.
//
// # Reading
//
// Open connects (with pgx) and has the server describe the query without
// running it: the result's column types become the schema, so `sluice
// validate` checks a pipeline against the real query. Read runs the query
// once, in one statement and so one snapshot, with the arguments bound as
// $1, $2, … (sent as text, parsed by the server as the parameter's type).
// pgx reads the result from the socket as Read consumes it: memory holds
// the batch being built, whatever the size of the result, and the server
// simply waits while the pipeline is busy. No server-side cursor is needed
// for that, and none is used.
//
// The source asks for PostgreSQL's binary format for the types it decodes
// and text for the rest, and decodes each wire value straight into an
// Arrow builder, without boxing values in interfaces.
//
// # Types
//
//	smallint, integer, bigint       int16, int32, int64
//	real, double precision          float32, float64 (NaN and ±Inf kept)
//	numeric(p, s), p ≤ 38           decimal128(p, s), exact
//	numeric, numeric(p > 38, s)     string: the exact decimal text
//	text, varchar, char, name,
//	citext                          string
//	boolean                         bool
//	date                            date32
//	timestamp                       timestamp[us] (no time zone)
//	timestamptz                     timestamp[us, UTC]
//	uuid                            string, canonical lower-case form
//	json, jsonb                     string: the JSON text
//	bytea                           binary
//	T[] for T above                 list<T>, one dimension
//	anything else                   string, PostgreSQL's text output, with a warning
//
// Unbounded numeric is text because its values have any scale: a
// decimal128 would round some of them and float64 others. Cast in the
// query when a number is wanted: sum(amount)::numeric(18,2) or ::float8.
// uuid is text because that is how every sink and CRM takes it; 36 bytes
// instead of 16 is a small price next to an extension type no downstream
// plugin knows.
//
// A value that has no Arrow equivalent — infinity or -infinity in a date or
// timestamp, NaN or ±Infinity in a bounded numeric, a multi-dimensional
// array — rejects its row with the column and the reason; the run goes on.
//
// # Incremental reads
//
// With an incremental block the query is wrapped:
//
//	SELECT * FROM (<query>) AS sluice_source
//	WHERE "updated_at" IS NOT NULL AND "id" IS NOT NULL
//	  AND ("updated_at", "id") > ($n+1, $n+2)   -- when resuming
//	  AND "updated_at" <= now() - $n+3          -- with a lag
//	ORDER BY "updated_at", "id"
//
// The row comparison is lexicographic, so rows that tie on updated_at are
// told apart by id; PostgreSQL pushes the conditions into the subquery,
// where an index on (updated_at, id) serves them. Each batch's checkpoint
// is the cursor of its last row, as text the server parses back exactly.
// A batch whose last row ties with the next row gets no checkpoint, so a
// resume never starts inside a tie, even with a cursor that is not unique.
// Rows with a null cursor column are never read; rows committed late with
// a cursor behind the mark are missed unless lag covers them. See
// docs/postgres.md for these caveats.
//
// # Secrets
//
// url and password are sensitive attributes; errors are built from the
// server's messages with both removed, so they never show a password.
package postgres
