package state

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/sluicedata/sluice/sdk"
)

// memoryStore keeps state in the process: for pipelines loaded from memory
// by an embedding program, and for tests. It forgets everything when the
// process ends.
type memoryStore struct {
	mu          sync.Mutex
	pipeline    string
	checkpoints map[string]sdk.Checkpoint
	snapshots   map[string]*memorySnapshot
	runs        []Run
}

type memorySnapshot struct {
	fingerprint string
	rows        map[Key]Entry
}

// NewMemory returns a store that lives as long as the process.
func NewMemory(pipeline string) Store {
	return &memoryStore{pipeline: pipeline, checkpoints: map[string]sdk.Checkpoint{}, snapshots: map[string]*memorySnapshot{}}
}

func (s *memoryStore) Checkpoints(context.Context) (map[string]sdk.Checkpoint, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.checkpoints), nil
}

func (s *memoryStore) SaveCheckpoint(_ context.Context, source string, cp sdk.Checkpoint) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.checkpoints[source] = slices.Clone(cp)
	return nil
}

func (s *memoryStore) ClearCheckpoint(_ context.Context, source string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.checkpoints, source)
	return nil
}

func (s *memoryStore) Snapshot(_ context.Context, sink string) (*Snapshot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	snap := &Snapshot{Rows: map[Key]Hash{}}
	if m, ok := s.snapshots[sink]; ok {
		snap.Fingerprint = m.fingerprint
		for k, e := range m.rows {
			snap.Rows[k] = e.Hash
		}
	}
	return snap, nil
}

func (s *memoryStore) UpdateSnapshot(_ context.Context, sink, fingerprint string, put []Entry, remove []Key) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.snapshots[sink]
	if !ok {
		m = &memorySnapshot{rows: map[Key]Entry{}}
		s.snapshots[sink] = m
	}
	m.fingerprint = fingerprint
	for _, e := range put {
		e.Values = slices.Clone(e.Values)
		m.rows[e.Key] = e
	}
	for _, k := range remove {
		delete(m.rows, k)
	}
	return nil
}

func (s *memoryStore) SnapshotKeys(_ context.Context, sink string, keys []Key) ([][]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.snapshots[sink]
	if !ok {
		return nil, fmt.Errorf("state: no snapshot of %s", sink)
	}
	out := make([][]byte, len(keys))
	for i, k := range keys {
		e, ok := m.rows[k]
		if !ok {
			return nil, fmt.Errorf("state: key %x is not in the snapshot of %s", k, sink)
		}
		out[i] = e.Values
	}
	return out, nil
}

func (s *memoryStore) ResetSnapshot(_ context.Context, sink string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.snapshots, sink)
	return nil
}

func (s *memoryStore) StartRun(_ context.Context, started time.Time) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := int64(len(s.runs) + 1)
	s.runs = append(s.runs, Run{ID: id, Started: started, Status: "running"})
	return id, nil
}

func (s *memoryStore) EndRun(_ context.Context, run Run) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if run.ID < 1 || int(run.ID) > len(s.runs) {
		return fmt.Errorf("state: no run %d", run.ID)
	}
	s.runs[run.ID-1] = run
	return nil
}

func (s *memoryStore) Runs(_ context.Context, limit int) ([]Run, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Run
	for i := len(s.runs) - 1; i >= 0 && (limit <= 0 || len(out) < limit); i-- {
		out = append(out, s.runs[i])
	}
	return out, nil
}

func (s *memoryStore) Reset(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.checkpoints, s.snapshots, s.runs = map[string]sdk.Checkpoint{}, map[string]*memorySnapshot{}, nil
	return nil
}

func (s *memoryStore) Describe(ctx context.Context) (Summary, error) {
	cps, _ := s.Checkpoints(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	sum := Summary{Backend: "memory", Location: "(in memory)", Pipeline: s.pipeline, Checkpoints: cps, Snapshots: map[string]int{}, Runs: len(s.runs)}
	for name, m := range s.snapshots {
		sum.Snapshots[name] = len(m.rows)
	}
	return sum, nil
}

func (s *memoryStore) Close() error { return nil }
