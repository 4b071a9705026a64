package sdk

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// Transform turns each input batch into at most one output batch. It may
// change the schema, drop rows (filter), collapse rows (dedupe) and reject
// rows whose values it cannot process.
//
// The engine calls Open, then Process for every input batch, then Flush if the
// transform implements [Flusher], then Close. Process is never called
// concurrently on one instance. Close is also called when Open fails, and must
// be safe to call more than once. A [Pipeliner] may instead be given several
// batches before it returns the first result.
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
// accounted for exactly once: as an output row, in Rejects, or in the Filtered
// or Deduplicated counts — or held, by a [Flusher], until a later call
// accounts for it. The engine checks the totals at the end of the run.
//
// The output rows are given in one of two ways, or not at all:
//
//   - Out, a batch of the output schema. Usually it holds just the output
//     rows. But when it has exactly as many rows as the input and Rejects is
//     not empty, Out is aligned with the input: row i of Out is the result of
//     input row i, and the engine removes the rejected rows (whatever Out
//     holds in them; nulls will do). Accounting tells the two apart, since
//     Out could not otherwise have a row for every input row and reject some.
//     A transform that computes columns so never copies every column just to
//     drop a rejected row, and the columns it passes on stay the input's own
//     arrays. The Out of a [Flusher], which may hold rows of earlier batches,
//     is never read as aligned.
//   - Keep, for a transform that only drops rows, such as a filter: a mask
//     with one value per input row, true for the rows that pass on
//     unchanged. Rejected rows, and the rows counted as Filtered or
//     Deduplicated, must be false in it (a null counts as false). In process
//     this costs what filtering the batch would; across a process boundary
//     only the mask travels, not the rows. Process only: Flush has no input
//     to select from.
//
// Set at most one of Out and Keep; neither means no row comes out.
type Result struct {
	// Out holds the output rows, or is nil when none come out. The engine
	// releases it.
	Out arrow.RecordBatch
	// Keep selects the input rows that are the output, instead of Out. The
	// engine applies it and releases it.
	Keep *array.Boolean
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

// Pipeliner is implemented by transforms that can take a batch before they
// have returned the result of the previous one: the engine's client for a
// transform in another process, where the next batch can be on its way, and
// the plugin at work on it, while the engine handles the last result. Plugin
// authors need not implement it, and usually should not: a transform that
// computes in its own process gains nothing from it. The engine uses it
// instead of Process when Window is more than 1; Process must still work,
// for callers that do not pipeline.
//
// The engine submits batches in order from one goroutine and takes their
// results, in the same order, from another: Submit and Next may run at the
// same time, but neither runs concurrently with itself, and neither with
// Process or Flush. At most Window batches are submitted whose results
// have not been taken.
//
// Ownership: Submit must not modify or release in, which stays valid until
// its result has been taken; the transform retains what it keeps longer.
// The result's Out and Keep belong to the caller, as Process's do.
//
// Every batch that Submit accepted (returned nil for) is owed exactly one
// Next, which the caller makes even after a failure or cancellation, so
// that nothing the transform holds for it is leaked; a batch Submit refused
// is owed none. Once ctx is done, Next returns promptly, with an error or
// a result. A [Flusher]'s Flush comes after the last Next.
type Pipeliner interface {
	Transform
	// Window is how many batches may be submitted before their results are
	// taken. It is called after Open.
	Window() int
	// Submit hands the transform its next batch.
	Submit(ctx context.Context, in arrow.RecordBatch) error
	// Next returns the result of the oldest submitted batch whose result
	// has not been taken, waiting for it. An error is that batch's, or the
	// transform's if it failed altogether, in which case every later Next
	// of a batch already submitted fails too.
	Next(ctx context.Context) (Result, error)
}

// Projector is implemented by transforms whose output rows are their input
// rows — all of them, or those Keep selects — and each of whose output
// columns is either an input column passed on unchanged or computed from
// the input columns the transform reads: a projection, in relational terms,
// with Keep a selection. The builtin filter, map, select and dedupe (keep =
// "first") are projectors.
//
// Compiled in, it changes nothing. Across a process boundary it lets the
// engine move only what is needed: the columns Process reads go to the
// plugin process; only the computed columns, or Keep as a bitmap, come back;
// the engine takes the passed-on columns from its own copy of the input.
//
// The contract, which sdk/plugintest checks:
//
//   - Process reads no input column but those Columns names. The others may
//     arrive all null: out of process, they do.
//   - Process returns Keep, or an Out with exactly as many rows as its input
//     (aligned; see [Result]), or neither when no row comes out.
//   - Every passed column of Out is the input column it passes, the very
//     array (in.Column(j)), not a copy.
//   - Computed columns have the types of the output schema Open returned.
//   - Flush, if the transform has it, returns no rows.
//
// Out of process, the plugin side checks that passed columns are the
// input's arrays, and fails the call with an error naming the plugin rather
// than let a placeholder pass for data.
type Projector interface {
	// Columns describes Process's output in terms of its input; it is
	// called after Open. reads names the input columns Process reads;
	// passes[i] is the index of the input column that output column i
	// passes on unchanged, or -1 when Process computes it. A nil passes
	// means the transform is no projection with its configuration (a dedupe
	// that holds rows): it then gets whole batches.
	Columns() (reads []string, passes []int)
}

// MemoryReporter is implemented by plugins that hold data across calls, so
// the run summary can say how much. MemoryHeld returns bytes currently held.
// It may be called from another goroutine than Process.
type MemoryReporter interface {
	MemoryHeld() int64
}
