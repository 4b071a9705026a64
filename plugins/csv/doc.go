// Package csv provides the csv source and sink.
//
// # Source
//
// The source reads one CSV file or every file a glob matches, in name order,
// as one table. Column types come from a declared schema, from inference
// over a sample of the first file, or a mix: declared columns keep their
// type and the rest are inferred.
//
// The decoder is written by hand. arrow-go's csv.Reader stops at the first
// line it cannot read, and a pipeline must instead reject that one row — a
// wrong number of fields, a quoting mistake, a value that does not convert —
// with its file and line number, and go on. The hand-written decoder also
// lets the source decode on every core: a splitter reads the file
// sequentially and cuts it into chunks of whole records (it only looks for
// line ends and, on lines that have a quote, runs the same quote-aware parser
// the decoders use, so both always agree on where a record ends). Decoders
// turn chunks into record batches in parallel, and the source emits them in
// file order. Each batch is one chunk, so the checkpoint after it is simply
// the chunk's end: file, byte offset and line number.
//
// Values go into reusable Go slices and are copied once into Arrow buffers
// from the host's allocator (package colbuild), so decoding allocates almost
// nothing per row.
//
// # Sink
//
// The sink writes RFC 4180 CSV with a header, through a temporary file that
// replaces the destination only when the run succeeds.
package csv
