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
// # Flow control
//
// A source's Read is driven by credits: the engine grants a window of
// batches (DefaultReadWindow) when it starts the stream and one more each
// time the engine's Emit returns, which is when the pipeline has taken the
// batch. The plugin's Emit blocks without credit, so a slow sink slows an
// external source exactly as it slows a builtin one, and nothing piles up in
// gRPC's buffers. Transform calls are synchronous, as the engine makes
// them: one call in flight. A sink's writes are answered one by one, each
// with its per-row results, with at most the sink's maximum writes in flight.
//
// Nothing is acknowledged that the engine has not taken: if the plugin
// process dies, the batches it had sent but the engine had not emitted are
// lost with it, and since the engine only checkpoints rows it has
// resolved, a rerun reads them again.
//
// # Versions
//
// go-plugin's handshake negotiates ProtocolVersion from the versioned
// plugin sets both sides offer (VersionedPlugins), and Describe repeats it.
// A new, incompatible protocol adds a version beside this one.
package wire
