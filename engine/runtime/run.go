package runtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sluicedata/sluice/engine/plan"
	"github.com/sluicedata/sluice/engine/redact"
	"github.com/sluicedata/sluice/engine/state"
	"github.com/sluicedata/sluice/sdk"
)

// Options configure a run.
type Options struct {
	Allocator memory.Allocator
	Logger    *slog.Logger
	Redactor  *redact.Redactor
	// Progress, when set, is called with the run's stats every
	// ProgressInterval (default one second) while it runs.
	Progress         func(Stats)
	ProgressInterval time.Duration
	// Grace is how long batches already read may take to be written after
	// the context passed to Run is cancelled, before they are abandoned.
	// Default 10 seconds.
	Grace time.Duration
	// QueueDepth is how many batches each edge holds. Default 4.
	QueueDepth int
	// Resume holds, by source address, the checkpoint to resume from.
	Resume map[string]sdk.Checkpoint
	// OnCheckpoint is called with each source checkpoint once every row
	// before it is resolved.
	OnCheckpoint func(source string, cp sdk.Checkpoint)
	// Retry governs how rows a sink reports as retryable are written again.
	Retry RetryPolicy
	// State keeps the snapshots of sinks with a sync block. FullSync sends
	// every row regardless; AllowMassLeave lets a run act on more departed
	// rows than a sync block's safety rail allows.
	State          state.Store
	FullSync       bool
	AllowMassLeave bool
	// Dry, when set, writes nothing (see Dry).
	Dry *Dry
	// SnapshotInterval is how often the rows sync sinks confirmed are saved
	// while a run goes. Source checkpoints are passed to OnCheckpoint only
	// once the rows before them are saved. Default one second.
	SnapshotInterval time.Duration
}

// RetryPolicy is how often and how patiently the engine writes rows again
// after a sink reports them as failed transiently.
type RetryPolicy struct {
	// Attempts is the number of writes of a row, first included. Default 5.
	Attempts int
	// Backoff is the wait before the first retry; it doubles each time, with
	// jitter, up to MaxBackoff. A destination's own RetryAfter wins when it
	// is longer. Defaults 500ms and 30s.
	Backoff, MaxBackoff time.Duration
}

func (o *Options) defaults() {
	if o.Allocator == nil {
		o.Allocator = memory.DefaultAllocator
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Redactor == nil {
		o.Redactor = redact.New()
	}
	if o.ProgressInterval <= 0 {
		o.ProgressInterval = time.Second
	}
	if o.Grace <= 0 {
		o.Grace = 10 * time.Second
	}
	if o.QueueDepth <= 0 {
		o.QueueDepth = 4
	}
	if o.Retry.Attempts <= 0 {
		o.Retry.Attempts = 5
	}
	if o.Retry.Backoff <= 0 {
		o.Retry.Backoff = 500 * time.Millisecond
	}
	if o.Retry.MaxBackoff <= 0 {
		o.Retry.MaxBackoff = 30 * time.Second
	}
	if o.SnapshotInterval <= 0 {
		o.SnapshotInterval = time.Second
	}
	if o.State == nil {
		o.State = state.NewMemory("")
	}
}

// run is one execution of a plan.
type run struct {
	opts    Options
	nodes   []*node
	started time.Time

	// readCtx is cancelled to stop the sources; runCtx to stop everything.
	readCtx, runCtx context.Context
	stopRun         context.CancelCauseFunc

	mu       sync.Mutex
	firstErr error

	// syncing says the run has sync sinks: checkpoints then wait in
	// cpPending for their snapshots to be saved.
	syncing   bool
	cpMu      sync.Mutex
	cpPending map[string]sdk.Checkpoint
}

// Run executes the plan until its sources are exhausted, a node fails, or
// ctx is cancelled, and returns the run's stats. The error is the failure
// that ended the run, if any; an interrupted run returns ctx's error.
// Run does not close the plan, but it closes each sink once its last batch
// is written, since that is when a sink's output becomes durable.
func Run(ctx context.Context, pl *plan.Plan, opts Options) (Stats, error) {
	opts.defaults()
	r := &run{opts: opts, started: time.Now()}
	r.wire(pl)

	runCtx, stopRun := context.WithCancelCause(context.WithoutCancel(ctx))
	readCtx, stopReading := context.WithCancelCause(runCtx)
	r.readCtx, r.runCtx, r.stopRun = readCtx, runCtx, stopRun
	defer stopRun(nil)
	defer stopReading(nil)

	// Cancelling ctx stops reading at once, and everything after the grace
	// period.
	interrupted := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			close(interrupted)
			r.opts.Logger.Info("stopping: no more batches will be read", slog.Duration("grace", opts.Grace))
			stopReading(context.Cause(ctx))
			timer := time.NewTimer(opts.Grace)
			defer timer.Stop()
			select {
			case <-timer.C:
				r.opts.Logger.Warn("grace period over: abandoning batches in flight")
				stopRun(fmt.Errorf("interrupted: batches in flight abandoned after %s", opts.Grace))
			case <-runCtx.Done():
			}
		case <-runCtx.Done():
		}
	}()

	stopSyncs := r.startSyncs()
	stopProgress := r.reportProgress()
	var wg sync.WaitGroup
	for _, n := range r.nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n.run(r)
		}()
	}
	wg.Wait()
	stopSyncs()
	stopProgress()

	stats := r.stats()
	select {
	case <-interrupted:
		stats.Status = StatusInterrupted
	default:
	}
	err := r.err()
	switch {
	case err != nil:
		stats.Status = StatusFailed
		stats.Error = err.Error()
	case stats.Status == StatusInterrupted:
		err = ctx.Err()
	default:
		stats.Status = StatusSucceeded
		err = r.checkAccounts(stats)
		if err != nil {
			stats.Status = StatusFailed
			stats.Error = err.Error()
		}
	}
	return stats, err
}

// fail records the error that ends the run and stops everything.
func (r *run) fail(err error) {
	err = r.opts.Redactor.Error(err)
	r.mu.Lock()
	if r.firstErr == nil {
		r.firstErr = err
	}
	r.mu.Unlock()
	r.stopRun(err)
}

func (r *run) err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.firstErr
}

// stopping reports whether the run is being torn down after a failure or an
// expired grace period; batches still arriving are then released unread.
func (r *run) stopping() bool { return r.runCtx.Err() != nil }

func (r *run) stats() Stats {
	s := Stats{Status: StatusRunning, Started: r.started, Elapsed: time.Since(r.started), Checkpoints: map[string]sdk.Checkpoint{}}
	for _, n := range r.nodes {
		s.Nodes = append(s.Nodes, n.counters.snapshot(n))
		if n.tracker != nil {
			n.tracker.mu.Lock()
			if n.tracker.checkpoint != nil {
				s.Checkpoints[n.Address()] = n.tracker.checkpoint
			}
			n.tracker.mu.Unlock()
		}
	}
	return s
}

func (r *run) reportProgress() (stop func()) {
	if r.opts.Progress == nil {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		ticker := time.NewTicker(r.opts.ProgressInterval)
		defer ticker.Stop()
		for {
			select {
			case <-ticker.C:
				r.opts.Progress(r.stats())
			case <-done:
				return
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

// checkAccounts verifies that every node accounted for every row it
// received, as a completed run must.
func (r *run) checkAccounts(s Stats) error {
	var errs []error
	for _, n := range s.Nodes {
		if !n.Balanced() {
			errs = append(errs, fmt.Errorf("%s received %d rows but accounted for %d (out %d, filtered %d, deduplicated %d, rejected %d): a plugin lost or invented rows",
				n.Address, n.In, n.Out+n.Filtered+n.Deduplicated+n.Rejected, n.Out, n.Filtered, n.Deduplicated, n.Rejected))
		}
	}
	return errors.Join(errs...)
}
