package sdk

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
)

// Source reads data from outside the pipeline and emits it as record batches.
//
// The engine calls Open, then Read once, then Close. Close is also called when
// Open fails, and must be safe to call more than once.
type Source interface {
	// Open connects to or locates the data and returns the schema of every
	// batch Read will emit. It is called during validation too, because
	// nothing downstream can be checked without the schema.
	Open(ctx context.Context, host Host) (*arrow.Schema, error)
	// Read emits batches until the data is exhausted, then returns nil. It
	// starts after the position recorded in from, or at the beginning when
	// from is nil. When ctx is cancelled it stops promptly and returns
	// ctx.Err(). Emit blocks while the pipeline is busy: that is backpressure.
	Read(ctx context.Context, from Checkpoint, emit Emitter) error
	Close(ctx context.Context) error
}

// Incremental is implemented by sources whose checkpoints mark how far the
// data has been read across runs — the high-water mark of an incremental
// query — rather than a position within one run's data. The engine keeps
// their last checkpoint after a successful run and resumes after it the next
// time; other sources start from the beginning of their data every run, and
// resume from a checkpoint only after a run that did not finish. The
// engine asks after Open; the answer must be the same for every instance
// of one configuration. A plugin binary's claim crosses the wire (package
// wire).
type Incremental interface {
	Incremental() bool
}

// Checkpoint is a position in a source's data, opaque to the engine: a byte
// offset in a file, the last cursor value of a query. Resuming Read from a
// checkpoint skips everything up to and including the batch it was emitted
// with. The engine stores a checkpoint only once every row before it has been
// written, filtered or rejected.
type Checkpoint []byte

// Batch is what a source emits.
type Batch struct {
	// Record holds the rows. The engine retains it if it needs it after Emit
	// returns; the source releases its own reference.
	Record arrow.RecordBatch
	// Rejects lists rows of Record that could not be read properly — a
	// malformed line, a value that does not convert. The engine removes them
	// from the batch and sends them to the rejects stream with their reason.
	Rejects []RowError
	// Checkpoint is the position after this batch, or nil if the source cannot
	// resume.
	Checkpoint Checkpoint
}

// Emitter receives a source's batches.
type Emitter interface {
	// Emit passes a batch downstream. It blocks while downstream is full and
	// returns an error only when the run is ending (ctx cancelled or a failure
	// elsewhere); the source should then return that error.
	Emit(ctx context.Context, batch Batch) error
}
