// Package jsonl provides the jsonl source and sink: JSON lines, one object
// per line.
//
// # Sink
//
// The sink encodes each column with a formatter chosen once per batch
// (package valfmt) that appends straight into a reused buffer. arrow-go's
// RecordToJSON builds a map per row and was the slowest step of a whole
// pipeline; this encoder is several times faster (see
// docs/benchmarks.md). The output is deterministic: columns in schema
// order, timestamps in RFC 3339 UTC, shortest round-trip floats, NaN and
// infinities as null, nulls as null. Files are written through a temporary
// file that replaces the destination only when the run succeeds.
//
// # Source
//
// arrow-go's JSON reader stops at the first line it cannot decode, and a
// line it decodes half-way leaves its builders misaligned, so the source
// decodes by hand: each line is scanned once into the raw values of the
// schema's keys, then converted. A line that is not a JSON object, or a value
// that does not convert, rejects that row with its file and line number, and
// the rest is read. Lines are decoded on every core, like CSV (package
// chunkread), with a file/offset/line checkpoint after each batch.
//
// Types come from a declared schema or are inferred from a sample: numbers
// are int64 if every sampled value is an integer and float64 otherwise,
// true/false are bool, strings are timestamp or date if every sampled value
// is one (RFC 3339, YYYY-MM-DD) and string otherwise, and nested objects and
// arrays are kept as their JSON text in a string column.
package jsonl
