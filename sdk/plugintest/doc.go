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
// cancelled context all behave, and an Open cancelled while it runs
// returns promptly with an error (over gRPC, on the plugin's side too: the
// engine's side of a call returns at once, whatever the plugin does); and
// what an instance claims through the optional interfaces the engine acts
// on (sdk.Idempotent, sdk.Incremental, sdk.Aborter, sdk.Flusher,
// sdk.MemoryReporter, and an sdk.Syncer's keys, keyless reason and the
// leave actions it cannot take) is the same for a second instance in
// process and, over gRPC, as the engine sees it through the wire, after
// New and after Open: the engine resumes runs, discards failed output and
// allows sync blocks on those claims, so a plugin binary must make them as
// its builtin twin does.
// Sources: batches match the schema Open
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
// read back equal (the author supplies ReadBack), the input is not
// modified, writing again changes nothing when the sink claims to be
// idempotent (sdk.Idempotent, or SinkSuite.Idempotent) — again through the
// same instance, and through a new one, as a resumed run writes — and bad
// rows come back as per-row errors at their indices, and only those. After
// each case no Arrow memory is left allocated (a checked allocator backs
// the Host, and the plugin's side of the wire), no goroutine is left
// running, and, over gRPC, the plugin has returned from every call once
// the connection closes. CancelTimeout bounds each wait for a cancelled
// call.
//
// The suite's own tests (the _test files here) run it on small plugins
// built to break one rule each and check that it fails them, naming the
// rule, and passes their correct twins: a check nobody has seen fail may
// not work.
//
// A case that does not apply is skipped with a reason that `go test -v`
// prints: Skip maps a case name to the reason, and an empty reason fails the
// test.
package plugintest
