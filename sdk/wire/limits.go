package wire

// ProtocolVersion is the version of the wire protocol this package speaks,
// negotiated in go-plugin's handshake.
const ProtocolVersion = 1

// DefaultMaxMessageBytes is the largest gRPC message either side accepts.
// Batches are split well below it.
const DefaultMaxMessageBytes = 64 << 20

// DefaultReadWindow is how many source batches may be in flight to the
// engine before it acknowledges the first.
const DefaultReadWindow = 4

// DefaultTransformWindow is how many calls to a transform may be in flight
// before the engine takes the first result: enough that the plugin always
// has the next batch when it finishes one, while the engine accounts for
// the last (docs/benchmarks.md, "External plugins").
const DefaultTransformWindow = 3

// splitLimit is the estimated batch size above which a batch is split:
// half the message limit, since the estimate leaves out validity bitmaps,
// padding and the IPC header.
func splitLimit(maxMessage int) int64 { return int64(maxMessage) / 2 }
