// Package stdout provides the stdout sink: a quick look at what a pipeline
// produces. On a terminal it prints an aligned table; otherwise (a pipe, a
// file, CI logs) JSON lines, which other tools can read. The format option
// overrides the choice.
//
// The table streams: column widths are settled by the first batch (each at
// most max_width characters) and later values that are longer are cut with
// an ellipsis, so output starts at once and memory does not grow.
package stdout
