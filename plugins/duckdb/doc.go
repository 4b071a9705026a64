// Package duckdb is the duckdb source: a SQL query run in an embedded
// DuckDB, so that a segment can be a query over Parquet or CSV files (or a
// DuckDB database file) with no server at all.
//
// # Why the C API, and not go-duckdb's Go API
//
// github.com/marcboeker/go-duckdb builds and links DuckDB's static library
// (v1.1.3 with go-duckdb v1.8.5, the last version the module proxy serves),
// and the package imports it for that. Its database/sql interface converts
// every value to a Go interface, and its Arrow interface (on by default,
// no build tag needed) materialises the whole result before returning
// the first batch. This package instead calls DuckDB's C API through the
// header in include/: it executes the query as a streaming result, fetches
// one 2048-row chunk at a time, and has DuckDB convert each chunk to the
// Arrow C data interface, which arrow-go imports without copying. Chunks
// are gathered into batches of batch_rows, copied once into the host's
// allocator. Memory is flat whatever the result's size (a query's own
// needs aside: an ORDER BY sorts everything first, spilling to disk).
//
// Everything needs cgo. Without it (CGO_ENABLED=0) the plugin is still
// registered and checks its configuration, and Open says why it cannot run.
//
// # Types
//
// Columns keep the Arrow types DuckDB's own Arrow export gives them:
// integers of every width (signed and unsigned), FLOAT and DOUBLE, DECIMAL
// as decimal128 (HUGEINT as decimal128(38,0)), VARCHAR and UUID as utf8,
// BLOB as binary, BOOLEAN, DATE as date32, TIMESTAMP as timestamp[us]
// (TIMESTAMP_S/MS/NS in their units), TIMESTAMPTZ as timestamp[us, UTC],
// TIME as time64[us], INTERVAL as month_day_nano_interval, LIST as list,
// STRUCT as struct, MAP as map, ENUM as dictionary. Cast in the query for
// anything a sink cannot take.
//
// # Incremental reads
//
// As in the postgres source: the query is wrapped, with the cursor compared
// column by column (c1 > v1 OR (c1 = v1 AND c2 > v2)) so DuckDB can push
// the comparison into a Parquet scan, and ordered by the cursor. The
// checkpoint is the last delivered row's cursor as text, cast back to the
// column's type. A batch whose last row ties with the next chunk's first
// gets no checkpoint. See docs/duckdb.md.
package duckdb
