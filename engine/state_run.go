package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/sluicedata/sluice/engine/plan"
	"github.com/sluicedata/sluice/engine/state"
	"github.com/sluicedata/sluice/sdk"
)

// State opens the pipeline's state store, as its state block says: a file
// under .sluice/ beside the pipeline by default. The caller closes it.
func (p *Pipeline) State(ctx context.Context) (state.Store, error) {
	s := p.config.State
	switch s.Backend {
	case "memory":
		p.memStateOnce.Do(func() { p.memState = state.NewMemory(s.Name) })
		return nopCloser{p.memState}, nil
	case "file":
		return state.OpenFile(s.Path, s.Name)
	case "postgres":
		st, err := state.OpenPostgres(ctx, s.URL, s.Name)
		return st, p.redactor.Error(err)
	}
	return nil, fmt.Errorf("unknown state backend %q", s.Backend)
}

// nopCloser keeps an in-memory store alive across runs of one pipeline.
type nopCloser struct{ state.Store }

func (nopCloser) Close() error { return nil }

// resumePoints decides where each source starts. An incremental source
// resumes after its last checkpoint, always: that is what incremental
// means. Another source resumes only after a run that did not finish, and
// only when every sink can take rows again without harm and none has a sync
// block; otherwise it starts from the beginning.
//
// A sync sink needs the whole input: the rows a resumed run would skip
// would look as if they had left it, and on_leave would act on their
// records. Starting over costs a sync sink little: the rows the unfinished
// run wrote are in its snapshot, saved as the run went, and are not sent
// again.
func (p *Pipeline) resumePoints(ctx context.Context, pl *plan.Plan, store state.Store) (map[string]sdk.Checkpoint, error) {
	saved, err := store.Checkpoints(ctx)
	if err != nil || len(saved) == 0 {
		return nil, err
	}
	var blocker, syncer string
	for _, n := range pl.Nodes {
		if n.Sink == nil {
			continue
		}
		if i, ok := n.Sink.(sdk.Idempotent); (!ok || !i.Idempotent()) && blocker == "" {
			blocker = n.Address()
		}
		if n.Config.Sync != nil && syncer == "" {
			syncer = n.Address()
		}
	}
	resume := map[string]sdk.Checkpoint{}
	for _, n := range pl.Nodes {
		cp, ok := saved[n.Address()]
		if !ok || n.Source == nil {
			continue
		}
		switch {
		case incremental(n.Source):
			resume[n.Address()] = cp
		case syncer != "":
			p.logger().Info("the last run did not finish; starting from the beginning, since a sync sink needs the whole input (what the last run wrote is in its snapshot and is not sent again)",
				"source", n.Address(), "sink", syncer)
		case blocker == "":
			p.logger().Info("resuming where the last run stopped", "source", n.Address())
			resume[n.Address()] = cp
		default:
			p.logger().Info("the last run did not finish; starting from the beginning, since a sink cannot take rows twice",
				"source", n.Address(), "sink", blocker)
		}
	}
	return resume, nil
}

func incremental(src sdk.Source) bool {
	i, ok := src.(sdk.Incremental)
	return ok && i.Incremental()
}

// checkpointSaver persists source checkpoints as the run commits them. The
// runtime reports every commit; the saver writes the latest of each source
// at most every interval, and at the end, so that a fast source does not
// wait on the store. A crash loses at most an interval's progress: the rows
// after the saved checkpoint are read, and written, again.
type checkpointSaver struct {
	store    state.Store
	mu       sync.Mutex
	pending  map[string]sdk.Checkpoint
	err      error
	wake     chan struct{}
	done     chan struct{}
	finished chan struct{}
}

func newCheckpointSaver(store state.Store, interval time.Duration) *checkpointSaver {
	s := &checkpointSaver{store: store, pending: map[string]sdk.Checkpoint{}, wake: make(chan struct{}, 1), done: make(chan struct{}), finished: make(chan struct{})}
	go func() {
		defer close(s.finished)
		ticker := time.NewTicker(interval)
		defer ticker.Stop()
		for {
			select {
			case <-ticker.C:
				s.flush()
			case <-s.done:
				s.flush()
				return
			}
		}
	}()
	return s
}

// commit records a source's newly committed checkpoint.
func (s *checkpointSaver) commit(source string, cp sdk.Checkpoint) {
	s.mu.Lock()
	s.pending[source] = cp
	s.mu.Unlock()
}

func (s *checkpointSaver) flush() {
	s.mu.Lock()
	pending := s.pending
	s.pending = map[string]sdk.Checkpoint{}
	s.mu.Unlock()
	for source, cp := range pending {
		if err := s.store.SaveCheckpoint(context.Background(), source, cp); err != nil {
			s.mu.Lock()
			if s.err == nil {
				s.err = err
			}
			s.mu.Unlock()
		}
	}
}

// close saves what is pending and returns the first error saving met.
func (s *checkpointSaver) close() error {
	close(s.done)
	<-s.finished
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// endRun records how the run ended, and forgets the checkpoints of
// non-incremental sources after a run that read them to the end.
func (p *Pipeline) endRun(ctx context.Context, pl *plan.Plan, store state.Store, id int64, stats Stats) error {
	if stats.Status == StatusSucceeded {
		for _, n := range pl.Nodes {
			if n.Source != nil && !incremental(n.Source) {
				if err := store.ClearCheckpoint(ctx, n.Address()); err != nil {
					return err
				}
			}
		}
	}
	nodes, _ := json.Marshal(stats.Nodes)
	var rejected int64
	for _, n := range stats.Nodes {
		if !n.Rejects {
			rejected += n.Rejected
		}
	}
	return store.EndRun(ctx, state.Run{
		ID: id, Started: stats.Started, Ended: stats.Started.Add(stats.Elapsed),
		Status: string(stats.Status), Error: stats.Error, Nodes: nodes, Rejected: rejected,
	})
}
