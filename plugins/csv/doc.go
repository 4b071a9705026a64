// Package csv provides the csv source and sink.
//
// # Source
//
// The source reads one CSV file or every file a glob matches, in name order,
// as one table. Column types come from a declared schema, from inference
// over a sample of the first file, or a mix: declared columns keep their
// type and the rest are inferred.
//
// The decoder is written by hand, as the project's rule allows for what no
// library does: arrow-go's csv.Reader stops at the first line it cannot
// read, and a pipeline must instead reject that one row — a wrong number of
// fields, a quoting mistake, a value that does not convert — with its file
// and line number, and go on. Writing it by hand also lets the source decode
// on every core (package chunkread): a splitter reads each file sequentially
// and cuts it into chunks of batch_rows records. It only looks for line ends
// and, on the rare lines that contain a quote, runs the same quote-aware
// parser the decoders use, so both always agree on where a record ends, even
// when quoted fields span lines. Decoders turn chunks into record batches in
// parallel and the source emits them in file order, each with the
// checkpoint after it: file, byte offset and line number.
//
// Unquoted lines, nearly all of them, are split eight bytes at a time, and
// values go into reusable Go slices copied once into Arrow buffers from the
// host's allocator (package colbuild), so decoding allocates almost nothing
// per row. Each chunk is checked for valid UTF-8 in one pass; only a chunk
// that fails is checked field by field, to reject the rows at fault.
//
// A missing closing quote makes the rest of the file one field; a record
// longer than 64 MiB is therefore an error that ends the run, rather than a
// reason to hold the whole file in memory.
//
// # Sink
//
// The sink writes RFC 4180 CSV with a header, through a temporary file that
// replaces the destination only when the run succeeds.
package csv
