// Package e2e holds the end-to-end tests of external plugins: the example
// plugins built into binaries, pinned in pipeline files by checksum, run
// as processes by the engine, and compared with the same plugins compiled
// in.
package e2e
