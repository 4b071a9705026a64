// Package wire is the protocol between the Sluice engine and plugins that run
// in their own process: a gRPC service (internal/pb/plugin.proto), the
// server that serves sdk.Plugin values in the plugin process, and the client
// whose plugins implement sdk.Plugin, sdk.Source, sdk.Transform and sdk.Sink
// in the engine, so that the engine cannot tell them from builtins.
//
// # Why this shape
//
// Configuration crosses as a typed value, not as HCL: the engine decodes
// the plugin's block against the schema the plugin declared (Describe sends
// it) and New carries the result as msgpack with its type as JSON, the way
// Terraform's protocol carries provider configuration. A plugin's
// diagnostics come back with their configuration path and expression
// position, so the engine points at the file, line and column as it does
// for builtins.
//
// Data crosses as Arrow IPC. Each data stream (a source's Read, a
// transform's Process calls, a sink's Write calls) is one gRPC
// bidirectional stream, and each direction of it one Arrow IPC stream:
// the schema once, then record batches, each an Arrow Flight FlightData
// message written and read by arrow-go's flight record writer and reader
// (our Frame message has FlightData's fields). The reader wraps the bytes
// it receives without copying them. Repeating the schema in every message,
// as CloudQuery's protocol does, costs a schema encode and decode per batch;
// this does not. Control messages (a Batch header with the batch's
// sequence number, rejected rows, checkpoint and counts; credits; the end of
// a Read) travel between the frames on the same stream, so a batch and what
// is said about it cannot be separated. We define our own messages rather
// than import Flight.proto because the control messages must share the
// stream with the frames, and because it keeps the protocol one file that
// needs no Arrow source tree to regenerate.
//
// A batch larger than half the gRPC message limit (64 MiB by default) is
// split by rows into several records under one Batch header and joined
// again on arrival: it is never dropped for its size.
//
// When both sides say so at Open (headed_frames), a header with records
// travels in the first frame it heads rather than as a message of its own.
// That is one gRPC message per batch, not two, and it matters more than
// the message count suggests: gRPC's writer, finding a lone small message
// and nothing else queued yet, yields its thread before flushing, and on
// an engine whose threads are busy decoding the source, the records then
// waited behind them. Both sides also ask the kernel for socket buffers
// that hold a whole batch (sockets.go), for a like reason: a write that
// blocks waits for a busy process to poll the network again. Together they
// took W1's map calls from 6.1 ms to 0.9-1.4 ms (medians) to reach the
// plugin (docs/benchmarks.md, "External plugins").
//
// # Moving only what a transform needs
//
// Most transforms need little of a batch and change less: a filter reads
// a column or two and only drops rows; a map reads a few columns, computes
// a few and passes the rest on. Sending whole batches both ways made the
// process boundary cost more than the work (docs/benchmarks.md, "External plugins").
// So the engine says in OpenRequest that it understands sdk.Result's Keep
// and aligned Out, and the protocol uses them:
//
//   - A result's Keep crosses as a bitmap in the Batch header, with no
//     records; the engine side turns it back into a Keep without copying
//     and filters its own input.
//   - A transform that is an sdk.Projector gets its Columns resolved
//     against the schemas at Open, and OpenResponse carries the projection
//     (input columns read; for each output column, the input column it
//     passes or -1). Its calls then carry an IPC stream of only the columns
//     it reads. The plugin side rebuilds full-width batches with all-null
//     placeholders for the other columns (slices of one cached null array
//     per column), calls Process, checks that every passed column of Out
//     is the input's very array — failing the call, naming the plugin, if
//     not, rather than let a placeholder pass for data — and sends back an
//     IPC stream of only the computed columns, or the Keep bitmap. The
//     engine side builds the output from its own input's columns and the
//     computed ones. Both streams have a schema fixed at Open, sent once.
//   - A transform that is no projector gets whole batches, as before, and
//     may still answer with Keep or an aligned Out, which cross as they are.
//
// A plugin answering an engine that did not say so, one that predates
// these, applies Keep and drops an aligned Out's rejected rows itself, and
// never projects, so old engines and new plugins work together, and new
// engines and old plugins too (which never send a projection or a keep).
//
// # Flow control
//
// A source's Read is driven by credits: the engine grants a window of
// batches (DefaultReadWindow) when it starts the stream and one more each
// time the engine's Emit returns, which is when the pipeline has taken the
// batch. The plugin's Emit blocks without credit, so a slow sink slows an
// external source exactly as it slows a builtin one, and nothing piles up in
// gRPC's buffers. A transform's calls are pipelined: its engine side is an
// sdk.Pipeliner, so the engine sends up to a window of calls
// (DefaultTransformWindow, sent in Start) before it takes the first result.
// The plugin's transform still gets them one at a time, in order, as it
// always has, but the server works in three stages: one goroutine receives
// and decodes the next call, another runs the transform, a third encodes
// and sends the last result; the calls not yet read wait in HTTP/2's
// stream window, which the window keeps far from full. So while the plugin
// processes one batch the next is already decoded, and the engine handles
// the last result meanwhile: synchronous calls left the plugin idle for a
// transfer each way per call (docs/benchmarks.md, "External plugins"). Results are
// matched to calls by their sequence numbers, oldest first; a call the
// plugin fails fails alone, while a broken stream fails every call in
// flight with an error naming the plugin, and the next call opens a new
// stream. A stream the engine abandoned (a cancelled call) may still be in
// a call of the transform in the plugin: the next stream's calls, and
// Close, wait for it, so that the transform is never called from two
// goroutines at once. A sink's writes are answered one by one, each with
// its per-row results, with at most the sink's maximum writes in flight.
//
// Nothing is acknowledged that the engine has not taken: if the plugin
// process dies, the batches it had sent but the engine had not emitted are
// lost with it, and since the engine only checkpoints rows it has
// resolved, a rerun reads them again.
//
// # Optional interfaces
//
// The engine asks a plugin instance for optional sdk interfaces with type
// assertions, and acts on the answers: it resumes a crashed run from its
// checkpoint only if every sink is sdk.Idempotent, keeps an
// sdk.Incremental source's checkpoint across runs, and aborts a failed
// run's output with sdk.Aborter. An instance over the wire must answer as
// the plugin's instance does, or the engine could tell them apart. Two
// sorts are carried:
//
//   - Claims, the interfaces that answer a question (Idempotent,
//     Incremental; a Syncer's KeyColumns, KeylessReason and
//     LeaveUnsupported): NewResponse carries the answer after New and
//     OpenResponse after Open, since a claim may depend on what Open found
//     and the engine asks after Open. The engine's side implements them
//     always and returns the last answer; a plugin that does not implement
//     one answers false, or "", which the engine takes as it takes an
//     instance without the interface. A plugin that predates the fields
//     sends false too, so it claims nothing. A Syncer's keys come with
//     OpenResponse only (SyncClaims), since KeyColumns is valid only after
//     Open; LeaveUnsupported is asked there of each of the three leave
//     actions, since the wire cannot ask later.
//   - Interfaces whose presence matters (Aborter, whose Abort replaces
//     Close; Flusher; MemoryReporter; Syncer, which lets a sink have a
//     sync block): NewResponse says whether the instance implements each,
//     and the engine's side returns a type that implements exactly those.
//     Their methods are calls (Abort, MemoryHeld, Leave, a Batch header
//     with flush). An older plugin says none, and is never sent a call it
//     does not know. The engine's side of a Syncer is also a KeylessSyncer
//     and a LeaveLimiter, answering "" for a sink that is not, which is
//     the same to the engine.
//
// Leave is a unary call of its own, not a message on the write stream: its
// keys have their own schema, where a stream's IPC stream has one schema,
// and the engine calls it once the writes are done. The keys cross as an
// Arrow IPC stream of one batch, and the result as a Batch header, as a
// Write's does. Keys larger than half the message limit are split by rows
// into several calls, whose rejects the engine's side renumbers from the
// first row: to the engine it is one Leave.
//
// Not carried: sdk.Checker, sdk.Planner and sdk.MappingTester. The engine's
// side does not implement them, so the engine treats a plugin binary as one
// without them. sdk.Projector is applied on the plugin's side, and the
// engine's side of every transform is an sdk.Pipeliner (Flow control).
//
// # Versions
//
// go-plugin's handshake negotiates ProtocolVersion from the versioned
// plugin sets both sides offer (VersionedPlugins), and Describe repeats it.
// A new, incompatible protocol adds a version beside this one.
package wire
