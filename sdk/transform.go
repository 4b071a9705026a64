package sdk

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
)

// Transform turns each input batch into at most one output batch. It may
// change the schema, drop rows (filter), collapse rows (dedupe) and reject
// rows whose values it cannot process.
//
// The engine calls Open, then Process for every input batch, then Flush if the
// transform implements [Flusher], then Close. Process is never called
// concurrently on one instance. Close is also called when Open fails, and must
// be safe to call more than once.
type Transform interface {
	// Open checks the configuration against the input schema — compiling
	// expressions, resolving column names — and returns the output schema.
	// Every batch Process returns must have exactly that schema. When it
	// returns an error, it may still return the output schema it would
	// have, so that the nodes after it are checked too.
	Open(ctx context.Context, host Host, in *arrow.Schema) (*arrow.Schema, error)
	// Process handles one batch. It must not modify or release in.
	Process(ctx context.Context, in arrow.RecordBatch) (Result, error)
	Close(ctx context.Context) error
}

// Result is the outcome of processing one input batch. Every input row must be
// accounted for exactly once: as a row of Out, in Rejects, or in the Filtered
// or Deduplicated counts — or held, by a [Flusher], until a later call
// accounts for it. The engine checks the totals at the end of the run.
type Result struct {
	// Out holds the output rows, or is nil when none come out. The engine
	// releases it.
	Out arrow.RecordBatch
	// Rejects lists input rows that could not be processed, indexed by their
	// position in the input batch.
	Rejects []RowError
	// Filtered counts rows dropped on purpose, by a condition.
	Filtered int
	// Deduplicated counts rows collapsed into another row.
	Deduplicated int
}

// Flusher is implemented by transforms that hold rows across calls, such as a
// dedupe that keeps the latest row per key. Flush is called after the last
// input batch, and again for as long as it returns a batch, so that the held
// rows can come back a batch at a time rather than all at once.
//
// A transform that holds rows must not return an output batch from Process
// until it can also account for every row it held before: the engine advances
// source checkpoints past all the input a returned batch follows.
type Flusher interface {
	Flush(ctx context.Context) (Result, error)
}

// MemoryReporter is implemented by plugins that hold data across calls, so
// the run summary can say how much. MemoryHeld returns bytes currently held.
// It may be called from another goroutine than Process.
type MemoryReporter interface {
	MemoryHeld() int64
}
