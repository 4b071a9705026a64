package runtime

import (
	"sync/atomic"
	"time"

	"github.com/sluicedata/sluice/sdk"
)

// counters are a node's running totals, updated by its goroutines and read
// by progress reporting.
type counters struct {
	in, out, filtered, deduplicated, rejected atomic.Int64
	created, updated, unchanged, deleted      atomic.Int64
	skipped, retried, left                    atomic.Int64
	batches                                   atomic.Int64
	// memoryPeak is the most memory the node reported holding.
	memoryPeak atomic.Int64
}

// sampleMemory records what a node that holds data reports holding now.
func (c *counters) sampleMemory(inst any) {
	r, ok := inst.(sdk.MemoryReporter)
	if !ok {
		return
	}
	held := r.MemoryHeld()
	for {
		peak := c.memoryPeak.Load()
		if held <= peak || c.memoryPeak.CompareAndSwap(peak, held) {
			return
		}
	}
}

// NodeStats are the totals of one node.
type NodeStats struct {
	Address string   `json:"node"`
	Kind    sdk.Kind `json:"kind"`
	Plugin  string   `json:"plugin"`
	// Rejects marks a sink that receives other nodes' rejected rows.
	Rejects bool `json:"rejects,omitempty"`
	// In counts rows received (read, for a source); Out rows emitted or, for
	// a sink, written. In = Out + Filtered + Deduplicated + Rejected, where a
	// sink's skipped rows count as filtered.
	In           int64 `json:"in"`
	Out          int64 `json:"out"`
	Filtered     int64 `json:"filtered"`
	Deduplicated int64 `json:"deduplicated"`
	Rejected     int64 `json:"rejected"`
	// A sink's breakdown of written rows, when it reports one.
	Created   int64 `json:"created,omitempty"`
	Updated   int64 `json:"updated,omitempty"`
	Unchanged int64 `json:"unchanged,omitempty"`
	Deleted   int64 `json:"deleted,omitempty"`
	// Retried counts rows a sink wrote again after a transient failure.
	Retried int64 `json:"retried,omitempty"`
	// Left counts records a sync sink acted on because their rows left its
	// input. They are not rows of this run, so not part of In.
	Left    int64 `json:"left,omitempty"`
	Batches int64 `json:"batches"`
	// MemoryHeld is what a node holding data across batches (a dedupe)
	// reports holding now, and MemoryPeak the most it held at once, in
	// bytes.
	MemoryHeld int64 `json:"memory_held,omitempty"`
	MemoryPeak int64 `json:"memory_peak,omitempty"`
}

// Balanced reports whether every row the node received is accounted for.
func (s NodeStats) Balanced() bool {
	return s.In == s.Out+s.Filtered+s.Deduplicated+s.Rejected
}

func (c *counters) snapshot(n *node) NodeStats {
	s := NodeStats{
		Address: n.Address(), Kind: n.Kind(), Plugin: n.Config.Plugin, Rejects: len(n.RejectsFrom) > 0,
		In: c.in.Load(), Out: c.out.Load(), Filtered: c.filtered.Load() + c.skipped.Load(),
		Deduplicated: c.deduplicated.Load(), Rejected: c.rejected.Load(),
		Created: c.created.Load(), Updated: c.updated.Load(), Unchanged: c.unchanged.Load(), Deleted: c.deleted.Load(),
		Retried: c.retried.Load(), Left: c.left.Load(), Batches: c.batches.Load(),
	}
	if r, ok := n.instance().(sdk.MemoryReporter); ok {
		s.MemoryHeld = r.MemoryHeld()
		c.sampleMemory(n.instance())
		s.MemoryPeak = c.memoryPeak.Load()
	}
	return s
}

// Status says how a run ended.
type Status string

// Run statuses.
const (
	StatusRunning     Status = "running"
	StatusSucceeded   Status = "succeeded"
	StatusInterrupted Status = "interrupted"
	StatusFailed      Status = "failed"
)

// Stats describe a run, while it goes and when it has ended.
type Stats struct {
	Status  Status        `json:"status"`
	Started time.Time     `json:"started"`
	Elapsed time.Duration `json:"elapsed_ns"`
	Nodes   []NodeStats   `json:"nodes"`
	Error   string        `json:"error,omitempty"`
	// Checkpoints holds each source's last committed checkpoint.
	Checkpoints map[string]sdk.Checkpoint `json:"-"`
}

// Node returns the stats of the node with the given address.
func (s Stats) Node(address string) (NodeStats, bool) {
	for _, n := range s.Nodes {
		if n.Address == address {
			return n, true
		}
	}
	return NodeStats{}, false
}
