// Package runtime runs a plan: it moves record batches from sources through
// transforms into sinks, concurrently, and accounts for every row.
//
// Every node runs in its own goroutine; sinks run as many writers as their
// write policy allows. Nodes are connected by bounded channels, so a slow sink
// slows its source down instead of filling memory. A sink receives batches
// re-sliced to its batch size. Rows a node rejects go, with their reason, to
// the sink its `rejects` attribute names, or stop the run. A transform's
// result is read as package sdk documents it (batches.Output): a Keep
// selects the input rows that pass on, and an Out aligned with the input
// loses its rejected rows. A transform that is an sdk.Pipeliner (the
// client of one in a plugin process) gets up to its window of batches
// before the first result is taken: one goroutine submits, another takes
// the results in order and accounts for them as for Process, releasing
// each input only then.
//
// Each batch a source emits gets a ticket. Every batch derived from it — the
// output of a transform, a slice for a sink, the rows it rejected — holds the
// ticket until it has been written, filtered or rejected; a source checkpoint
// is committed only when the tickets of its batch and of every batch before it
// are released. Once the run is torn down — a node failed, or the grace
// period ran out — nothing more is committed, since batches are then
// released without being written. So a crash never skips rows: at worst, a
// rerun writes again rows that an idempotent sink already has.
//
// Cancelling the context passed to Run stops the sources; batches already
// read are finished for a grace period, then abandoned.
package runtime
