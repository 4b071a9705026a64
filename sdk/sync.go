package sdk

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
)

// Syncer is implemented by sinks that write rows to records identified by a
// key — an upsert by alternate key — so that a sink's sync block can work:
// the engine keeps a snapshot of what each key was last written with, sends
// only new and changed rows, and asks the sink to act on the records of rows
// that left the input.
type Syncer interface {
	// KeyColumns returns the input columns whose values identify a row's
	// record. It is valid after Open, when the engine asks, and must be the
	// same for every instance of a configuration: the engine checks the
	// sync block against one instance and runs another, and over the wire
	// it sees the answer Open reported.
	KeyColumns() []string
	// Leave acts on the records of rows that earlier runs wrote and that are
	// no longer in the input. keys holds those rows' key columns, in the
	// order and with the types KeyColumns names. The result reports per row,
	// as Write's does; rows not rejected were acted on.
	Leave(ctx context.Context, keys arrow.RecordBatch, action LeaveAction) (WriteResult, error)
}

// KeylessSyncer is implemented by a Syncer that some configurations leave
// without a key — a sink that creates a new record for every row —, so
// that KeyColumns is empty. KeylessReason says why, in terms of the sink's
// configuration, for the diagnostic that refuses its sync block. The
// engine asks after Open, as it asks KeyColumns.
type KeylessSyncer interface {
	Syncer
	KeylessReason() string
}

// LeaveLimiter is implemented by a Syncer that, in some configurations,
// cannot act on the records of rows that left its input in every way.
// LeaveUnsupported returns why action cannot be taken, in terms of the
// sink's configuration, or "" when it can; the engine refuses a sync block
// whose on_leave asks for it, before the run. The engine asks after Open,
// as it asks KeyColumns, and about the actions below only.
type LeaveLimiter interface {
	Syncer
	LeaveUnsupported(action LeaveAction) string
}

// LeaveAction is what a sink does to the record of a row that left its
// input.
type LeaveAction string

// The leave actions a sync block can ask for.
const (
	// LeaveClear empties the fields the sink writes, keeping the record.
	LeaveClear LeaveAction = "clear"
	// LeaveDeactivate marks the record inactive.
	LeaveDeactivate LeaveAction = "deactivate"
	// LeaveDelete deletes the record.
	LeaveDelete LeaveAction = "delete"
)
