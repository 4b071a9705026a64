// Package textconv converts between text and the fixed-width values of Arrow
// columns — integers, floats, booleans, RFC 3339 timestamps, dates — without
// allocating. The file sources call a parser for every field they read and
// the file sinks a formatter for every value they write, so these functions
// are on the hot path of every pipeline: strconv and time.Parse are correct
// but allocate or do more work than a fixed format needs, which costs
// seconds over millions of rows. Everything unusual falls back to the
// standard library, so the fast paths only have to be right, not complete.
package textconv
