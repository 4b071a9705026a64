package sdk

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
)

// Planner is implemented by sinks that can tell, row by row, what a Write of
// a batch would do, without doing it — so that `sluice plan` can show a
// person what a run is about to change before it changes anything.
//
// In plan mode the engine opens every node as for a run (sinks online), moves
// the data through sources and transforms as a run would, and calls Plan
// instead of Write. Plan may read from the destination as much as it needs —
// the records rows match, their current values — but must not change it. It
// may be called concurrently, like Write, and must answer for the batches of
// one plan as a run would: a row that an earlier batch of the plan would have
// created is found by later ones.
//
// A sink that does not implement Planner is still opened, but never written
// to: its rows are reported as PlanWrite. Sinks that can discard their
// output ([Aborter]) are aborted at the end of a plan, never closed.
//
// Out-of-process plugins cannot offer it yet: the gRPC transport does not
// carry it.
type Planner interface {
	// Plan returns one RowPlan per row of rec, in any order. It must not
	// modify or release rec. A returned error ends the plan, as it would end
	// a run.
	Plan(ctx context.Context, rec arrow.RecordBatch) ([]RowPlan, error)
}

// PlanAction is what a write would do with a row.
type PlanAction string

// Plan actions. Every row of a batch gets exactly one.
const (
	// PlanCreate: a new record would be created.
	PlanCreate PlanAction = "create"
	// PlanUpdate: an existing record would be changed; Changes says how.
	PlanUpdate PlanAction = "update"
	// PlanUnchanged: the row matches a record that already holds its
	// values; nothing would be sent.
	PlanUnchanged PlanAction = "unchanged"
	// PlanDelete: a record would be deleted.
	PlanDelete PlanAction = "delete"
	// PlanSkip: the row would be deliberately left out; Reason says why.
	PlanSkip PlanAction = "skip"
	// PlanDeduplicated: the row would be collapsed into another row of the
	// input that resolves to the same record.
	PlanDeduplicated PlanAction = "deduplicated"
	// PlanReject: the row would be rejected, with Code and Reason.
	PlanReject PlanAction = "reject"
	// PlanWrite: the row would be written by a sink that cannot say more.
	PlanWrite PlanAction = "write"
)

// RowPlan is the decision about one row.
type RowPlan struct {
	// Row is the row's index in the batch passed to Plan.
	Row    int
	Action PlanAction
	// Table and Record name the destination record, when there is one: the
	// table's name and the record's id ("" for a record not yet created).
	Table, Record string
	// Label identifies the row to a person, such as the values it was
	// matched by: emailaddress1 = 'ann@example.com'. It must not contain
	// secrets.
	Label string
	// Changes are the fields an update would change, or a create would set.
	Changes []FieldChange
	// Code and Reason explain a reject (Code as a RowError's), a skip or a
	// deduplication.
	Code, Reason string
	// Related are other records the row would create or change on the way,
	// such as the parent account created for a contact.
	Related []RelatedPlan
}

// FieldChange is one field a write would set. Before and After are the
// values as the destination shows them — string, float64, bool or nil —
// with Before nil for a new record.
type FieldChange struct {
	Field         string
	Before, After any
}

// RelatedPlan is a record a row's write would create or change besides its
// own.
type RelatedPlan struct {
	Action        PlanAction
	Table, Record string
	Label         string
}

// MappingTester is implemented by sinks that can test their mapping against
// the destination with one real row, for `sluice test-mapping`: write the
// row as a new record, read the record back, remove it again, and report
// field by field whether what was stored is what was sent.
//
// The engine runs the pipeline until a row reaches the sink that it can
// write as a new record — for a sink that is also a Planner, the first row
// its plan would create a record from, or plans as PlanWrite (a row whose
// record exists would take its key); for others, the first row — calls
// TestMapping with a batch of that one row instead of Write, and stops.
// The sink must leave the destination as it found it, also when the test
// fails half way.
//
// Out-of-process plugins cannot offer it yet: the gRPC transport does not
// carry it.
type MappingTester interface {
	TestMapping(ctx context.Context, row arrow.RecordBatch) (MappingTest, error)
}

// MappingTest is the outcome of a mapping test.
type MappingTest struct {
	// Table and Record name the record that was created for the test.
	Table, Record string
	// Fields are the fields sent, in the order the sink wrote them.
	Fields []FieldRoundTrip
	// Removed says the test record was removed again; Cleanup says how, or
	// why it could not be (then the record is still there, named above).
	Removed bool
	Cleanup string
	// Notes are remarks about fields that were not tested.
	Notes []string
}

// FieldRoundTrip is one field of a mapping test: the value sent, the value
// the destination stored, and whether they are the same once the
// destination's own formatting is allowed for.
type FieldRoundTrip struct {
	Field        string
	Sent, Stored any
	OK           bool
	// Note says why a field did not round-trip, when the sink can tell.
	Note string
}
