// Package plugintest is the conformance suite for Sluice plugins. A plugin
// author runs it from their own `go test`:
//
//	func TestConformance(t *testing.T) {
//		plugintest.Transform(t, plugintest.TransformSuite{
//			Common: plugintest.Common{
//				Plugin:     upper.Transform,
//				Config:     `column = "name"`,
//				BadConfigs: []plugintest.BadConfig{{HCL: ``}},
//			},
//			Input: func(mem memory.Allocator) []arrow.RecordBatch { … },
//		})
//	}
//
// Every case runs twice: in-process, calling the plugin as a builtin is
// called, and over gRPC, through the real server and client of the wire
// protocol on an in-memory connection, the way the engine calls a plugin
// binary. A plugin that passes both behaves the same compiled in and out of
// process.
//
// What it checks, for every kind: the configuration snippet decodes through
// the schema the plugin declares (fetched over the wire in gRPC mode) and
// builds an instance; each bad snippet is rejected, at the path given;
// Open then Close, Close twice, Close without Open, and Open with a
// cancelled context all behave. Sources: batches match the schema Open
// reported, rejected rows are in bounds, and resuming from a checkpoint emits
// exactly the rows after it. Transforms: the input is not modified, output
// batches have the schema Open reported, row errors are in bounds and
// unique, and every input row is accounted for (out, rejected, filtered or
// deduplicated; across calls and Flush for a Flusher), reading results as
// the engine does: a Keep selects input rows and must be false on rejected
// rows, and an aligned Out loses its rejected rows. A transform that is an
// sdk.Projector must answer with Keep or an aligned Out whose passed
// columns are the input's very arrays, and must give the same result when
// the columns its Columns does not name are all null, as they are in a
// plugin process; its Flush returns no rows. Over gRPC the calls are
// pipelined, as the engine makes them (sdk.Pipeliner): a window of
// batches is in flight before the first result is taken, and the results
// must match those of calls made one by one. Cancelling with calls in
// flight must end each of them promptly, leaking nothing. Sinks: rows written
// read back equal (the author supplies ReadBack), writing twice changes
// nothing when the sink claims to be idempotent, and bad rows come back as
// per-row errors at their indices. After each case no Arrow memory is left
// allocated (a checked allocator backs the Host, and the plugin's side of
// the wire) and no goroutine is left running.
//
// A case that does not apply is skipped with a reason that `go test -v`
// prints: Skip maps a case name to the reason, and an empty reason fails the
// test.
package plugintest
