package sdk

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
)

// Sink writes batches to a destination.
//
// The engine calls Open, then Write for every batch, then Close, which must
// make everything written durable (flush buffers, write file footers), or
// Abort, when the run failed and the sink implements [Aborter]. Write is
// called concurrently only if the plugin's [WritePolicy] allows more than one
// call in flight. Close is also called when Open fails, and must be safe to
// call more than once.
type Sink interface {
	// Open checks the configuration against the input schema and, unless
	// host.Offline(), connects to the destination and checks the
	// configuration against it too.
	Open(ctx context.Context, host Host, in *arrow.Schema) error
	// Write writes one batch and reports the rows it could not write. It must
	// not modify or release rec. A returned error means the sink cannot go on
	// and ends the run; a problem with particular rows is a RowError instead.
	Write(ctx context.Context, rec arrow.RecordBatch) (WriteResult, error)
	Close(ctx context.Context) error
}

// Aborter is implemented by sinks that can discard what a failed run wrote,
// such as a file sink that writes to a temporary file and renames it into
// place in Close. When the run fails, the engine calls Abort instead of
// Close. Abort after Close, or twice, does nothing.
type Aborter interface {
	Abort(ctx context.Context) error
}

// Idempotent is implemented by sinks whose writes can be repeated without
// effect — an upsert by key — and whose output persists between runs. A run
// that stopped part way can then resume from its last checkpoint, since
// writing again the rows after it is harmless; with any other sink, the
// engine starts the next run from the beginning. The engine asks after
// Open, so the answer may depend on what Open found; it must be the same
// for every instance of one configuration. A plugin binary's claim crosses
// the wire (package wire).
type Idempotent interface {
	Idempotent() bool
}

// WriteResult is the outcome of one Write. Rows not listed in Rejects and not
// counted as Skipped or Deduplicated were written.
type WriteResult struct {
	// Rejects lists rows that were not written, by index in the batch. The
	// engine retries those marked Retryable, and sends the others to the
	// rejects stream.
	Rejects []RowError
	// Skipped counts rows deliberately not written, such as an update-only
	// write whose record does not exist.
	Skipped int
	// Deduplicated counts rows collapsed into another row of the same write.
	Deduplicated int
	// Created, Updated, Unchanged and Deleted optionally break down the
	// written rows for the run summary. Their sum must not exceed the number
	// of rows written.
	Created, Updated, Unchanged, Deleted int
}
