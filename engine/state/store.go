package state

import (
	"context"
	"encoding/json"
	"time"

	"github.com/sluicedata/sluice/sdk"
)

// Store is the state of one pipeline. Implementations are safe for
// concurrent use.
type Store interface {
	// Checkpoints returns the committed checkpoint of every source that has
	// one, by source address.
	Checkpoints(ctx context.Context) (map[string]sdk.Checkpoint, error)
	// SaveCheckpoint records a source's checkpoint, once every row before it
	// is resolved.
	SaveCheckpoint(ctx context.Context, source string, cp sdk.Checkpoint) error
	// ClearCheckpoint forgets a source's checkpoint, so that its next run
	// starts at the beginning.
	ClearCheckpoint(ctx context.Context, source string) error

	// Snapshot returns a sink's sync snapshot; an empty one if it has none.
	Snapshot(ctx context.Context, sink string) (*Snapshot, error)
	// UpdateSnapshot records rows a sink confirmed (put) and rows whose
	// records were acted on after they left the input (remove), and the
	// fingerprint of the configuration that wrote them.
	UpdateSnapshot(ctx context.Context, sink, fingerprint string, put []Entry, remove []Key) error
	// SnapshotKeys returns the key values recorded for the given keys,
	// which a sink needs to address the records of rows that left.
	SnapshotKeys(ctx context.Context, sink string, keys []Key) ([][]byte, error)
	// ResetSnapshot forgets a sink's snapshot: its next run sends every row.
	ResetSnapshot(ctx context.Context, sink string) error

	// StartRun records a run's start and returns its id.
	StartRun(ctx context.Context, started time.Time) (int64, error)
	// EndRun records how a run ended.
	EndRun(ctx context.Context, run Run) error
	// Runs returns the most recent runs, newest first.
	Runs(ctx context.Context, limit int) ([]Run, error)

	// Reset forgets everything about the pipeline.
	Reset(ctx context.Context) error
	// Describe summarises what the store holds, for `sluice state show`.
	Describe(ctx context.Context) (Summary, error)
	Close() error
}

// Key identifies a row's record in a snapshot: a 128-bit hash of the values
// of its key columns.
type Key [16]byte

// Hash is a 128-bit hash of a row's values.
type Hash [16]byte

// Entry is a snapshot row: the hash of what was written for a key, and the
// key's values (encoded by the engine) to address the record later.
type Entry struct {
	Key    Key
	Hash   Hash
	Values []byte
}

// Snapshot is what a sink wrote in earlier runs, in memory: the row hash per
// key. Key values stay in the store until a run needs them.
type Snapshot struct {
	// Fingerprint identifies the configuration and input schema that wrote
	// the snapshot; when they change, every row must be sent again.
	Fingerprint string
	Rows        map[Key]Hash
}

// Run is one run of a pipeline, as the history keeps it.
type Run struct {
	ID      int64     `json:"id"`
	Started time.Time `json:"started"`
	Ended   time.Time `json:"ended"`
	Status  string    `json:"status"`
	Error   string    `json:"error,omitempty"`
	// Nodes holds the run's per-node counts, as the engine reports them.
	Nodes    json.RawMessage `json:"nodes,omitempty"`
	Rejected int64           `json:"rejected"`
}

// Summary describes a store's contents.
type Summary struct {
	Backend     string                    `json:"backend"`
	Location    string                    `json:"location"`
	Pipeline    string                    `json:"pipeline"`
	Checkpoints map[string]sdk.Checkpoint `json:"checkpoints"`
	Snapshots   map[string]int            `json:"snapshots"` // rows per sink
	Runs        int                       `json:"runs"`
}
