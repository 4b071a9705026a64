// Package parquet provides the parquet source and sink, on arrow-go's
// pqarrow reader and writer.
//
// The source reads one file or every file a glob matches, in name order,
// row group by row group, in batches of batch_rows rows; the checkpoint after
// each batch is the file, the row group and the rows of it already read, so
// a resumed run reopens the row group and skips just those rows.
//
// The sink buffers up to row_group_rows rows per row group (pqarrow encodes
// a row group whole, column by column), compresses with the chosen codec,
// and writes through a temporary file that replaces the destination only
// when the run succeeds.
package parquet
