package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sluicedata/sluice/engine/state"
	"github.com/sluicedata/sluice/sdk"
	"github.com/sluicedata/sluice/sdk/batches"
)

// syncer is a sink's change tracking: what earlier runs wrote per key (the
// snapshot), which keys this run has seen, and the rows it has confirmed
// and not yet saved.
type syncer struct {
	n        *node
	sink     sdk.Syncer
	store    state.Store
	keyCols  []int
	snapshot *state.Snapshot
	// sendAll is set when every row must be sent: --full, or a snapshot
	// written by another configuration or input schema.
	sendAll bool
	// partialFingerprint is what saves before the end of the run record:
	// the snapshot's own fingerprint while it holds rows written under
	// another configuration, so that a run that does not finish leaves the
	// snapshot distrusted and the next run sends every row again; the
	// sink's fingerprint otherwise.
	partialFingerprint string

	mu      sync.Mutex
	seen    map[state.Key]struct{}
	pending []state.Entry

	// saveMu orders saves: one that took newer entries must not land
	// before one that took older entries of the same keys.
	saveMu sync.Mutex
	// storedFingerprint is the fingerprint the store holds.
	storedFingerprint string
}

// newSyncer loads a sync sink's snapshot.
func newSyncer(ctx context.Context, r *run, n *node) (*syncer, error) {
	sink := n.Sink.(sdk.Syncer)
	s := &syncer{n: n, sink: sink, store: r.opts.State}
	for _, name := range sink.KeyColumns() {
		s.keyCols = append(s.keyCols, n.In.FieldIndices(name)[0])
	}
	snap, err := s.store.Snapshot(ctx, n.Address())
	if err != nil {
		return nil, err
	}
	s.snapshot = snap
	s.seen = make(map[state.Key]struct{}, len(snap.Rows))
	s.storedFingerprint = snap.Fingerprint
	s.partialFingerprint = n.Fingerprint
	switch {
	case r.opts.FullSync:
		s.sendAll = true
		r.opts.Logger.Info("sending every row, as asked (--full)", "sink", n.Address())
	case len(snap.Rows) > 0 && snap.Fingerprint != n.Fingerprint:
		s.sendAll = true
		r.opts.Logger.Info("the sink's configuration or input changed since the last run: sending every row", "sink", n.Address())
		s.partialFingerprint = snap.Fingerprint
	}
	return s, nil
}

// filter returns the rows of rec that are new or changed since the last
// run, with their snapshot entries, and how many are unchanged. A nil batch
// means every row is unchanged.
func (s *syncer) filter(r *run, rec arrow.RecordBatch) (arrow.RecordBatch, []state.Entry, int, error) {
	h := newRowHasher()
	cols := rec.Columns()
	keyCols := make([]arrow.Array, len(s.keyCols))
	for i, c := range s.keyCols {
		keyCols[i] = cols[c]
	}
	n := int(rec.NumRows())
	entries := make([]state.Entry, 0, n)
	changed := make([]int, 0, n)
	s.mu.Lock()
	for i := range n {
		key, content := h.key(keyCols, i), h.content(cols, i)
		prev, known := s.snapshot.Rows[key]
		if known {
			// Only the snapshot's keys can leave: a run's new keys need not
			// be remembered.
			s.seen[key] = struct{}{}
		}
		if known && prev == content && !s.sendAll {
			continue
		}
		changed = append(changed, i)
		entries = append(entries, state.Entry{Key: key, Hash: content})
	}
	s.mu.Unlock()
	unchanged := n - len(changed)
	if len(changed) == 0 {
		return nil, nil, unchanged, nil
	}
	for j, i := range changed {
		values := make([]any, len(keyCols))
		for k, c := range keyCols {
			values[k] = c.GetOneForMarshal(i)
		}
		entries[j].Values, _ = json.Marshal(values)
	}
	if unchanged == 0 {
		rec.Retain()
		return rec, entries, 0, nil
	}
	out, err := batches.Take(context.Background(), r.opts.Allocator, rec, changed)
	return out, entries, unchanged, err
}

// confirm records rows the sink wrote.
func (s *syncer) confirm(entries []state.Entry) {
	s.mu.Lock()
	s.pending = append(s.pending, entries...)
	s.mu.Unlock()
}

// save writes the rows confirmed so far to the snapshot. complete says the
// run has read its whole input and written it without failing: only then
// does the snapshot take the sink's fingerprint when it had another.
//
// The runtime saves while the run goes, before it passes on the source
// checkpoints that cover the rows saved, so that a checkpoint is never
// ahead of the snapshot: a run that resumes after it would not read those
// rows again, and their snapshot entries would be lost — an incremental
// source's row changed back to its old value would then look unchanged.
func (s *syncer) save(ctx context.Context, complete bool) error {
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	s.mu.Lock()
	pending := s.pending
	s.pending = nil
	s.mu.Unlock()
	fingerprint := s.partialFingerprint
	if complete {
		fingerprint = s.n.Fingerprint
	}
	if len(pending) == 0 && fingerprint == s.storedFingerprint {
		return nil
	}
	if err := s.store.UpdateSnapshot(ctx, s.n.Address(), fingerprint, lastPerKey(pending), nil); err != nil {
		return err
	}
	s.storedFingerprint = fingerprint
	if complete {
		s.partialFingerprint = fingerprint
	}
	return nil
}

// saveSyncs saves what every sync sink has confirmed, then passes on the
// source checkpoints committed before: by then every row before them is in
// a snapshot, or was not confirmed and will be sent again.
func (r *run) saveSyncs(ctx context.Context) {
	r.cpMu.Lock()
	cps := r.cpPending
	r.cpPending = map[string]sdk.Checkpoint{}
	r.cpMu.Unlock()
	for _, n := range r.nodes {
		if n.sync == nil {
			continue
		}
		if err := n.sync.save(ctx, false); err != nil {
			r.fail(fmt.Errorf("%s: saving the sync snapshot: %w", n.Address(), err))
			return
		}
	}
	for source, cp := range cps {
		r.opts.OnCheckpoint(source, cp)
	}
}

// commitCheckpoint passes a source's newly committed checkpoint on: at once,
// or, when the run has sync sinks, at their next save.
func (r *run) commitCheckpoint(source string, cp sdk.Checkpoint) {
	if r.opts.OnCheckpoint == nil {
		return
	}
	if !r.syncing {
		r.opts.OnCheckpoint(source, cp)
		return
	}
	r.cpMu.Lock()
	r.cpPending[source] = cp
	r.cpMu.Unlock()
}

// startSyncs loads the snapshots of sync sinks and, unless the run is dry,
// saves what they confirm every SnapshotInterval until stop is called,
// which saves a last time.
func (r *run) startSyncs() (stop func()) {
	if !r.syncing {
		return func() {}
	}
	for _, n := range r.nodes {
		if n.Sink == nil || n.Config.Sync == nil {
			continue
		}
		s, err := newSyncer(r.runCtx, r, n)
		if err != nil {
			r.fail(fmt.Errorf("%s: reading the sync snapshot: %w", n.Address(), err))
			continue
		}
		n.sync = s
	}
	if r.opts.Dry != nil {
		return func() {} // a dry run writes nothing, so it confirms nothing to save
	}
	ctx := context.WithoutCancel(r.runCtx)
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		ticker := time.NewTicker(r.opts.SnapshotInterval)
		defer ticker.Stop()
		for {
			select {
			case <-ticker.C:
				r.saveSyncs(ctx)
			case <-done:
				return
			}
		}
	}()
	return func() {
		close(done)
		<-finished
		r.saveSyncs(ctx)
	}
}

// lastPerKey keeps the last of the entries of each key: a key written by
// two batches since the last save holds the later batch's hash, whatever
// order a store applies a save's entries in.
func lastPerKey(entries []state.Entry) []state.Entry {
	last := make(map[state.Key]int, len(entries))
	for i, e := range entries {
		last[e.Key] = i
	}
	if len(last) == len(entries) {
		return entries
	}
	out := make([]state.Entry, 0, len(last))
	for i, e := range entries {
		if last[e.Key] == i {
			out = append(out, e)
		}
	}
	return out
}

// ErrMassLeave is the error of a run stopped by the safety rail.
var ErrMassLeave = errors.New("too many rows left the input")

// leave acts on the records of rows that earlier runs wrote and this run's
// input no longer has, as the sync block's on_leave says, after checking the
// safety rail.
func (s *syncer) leave(ctx context.Context, r *run) error {
	cfg := s.n.Config.Sync
	var left []state.Key
	for key := range s.snapshot.Rows {
		if _, ok := s.seen[key]; !ok {
			left = append(left, key)
		}
	}
	if len(left) == 0 {
		return nil
	}
	if cfg.OnLeave == "nothing" {
		r.opts.Logger.Info("rows left the input; on_leave is nothing", "sink", s.n.Address(), "rows", len(left))
		return nil
	}
	total := len(s.snapshot.Rows)
	overRows := cfg.MaxLeave > 0 && len(left) > cfg.MaxLeave
	overShare := float64(len(left))*100 > cfg.MaxLeavePercent*float64(total)
	if (overRows || overShare) && !r.opts.AllowMassLeave {
		return fmt.Errorf("%w: %d of the %d rows %s wrote before are not in this run's input, and on_leave = %q would act on them all; the limit is %d rows and %g%% (max_leave, max_leave_percent). If that is right, run again with --allow-mass-delete; if not, check the source: an empty or partial input looks like this",
			ErrMassLeave, len(left), total, s.n.Address(), cfg.OnLeave, cfg.MaxLeave, cfg.MaxLeavePercent)
	}
	action := sdk.LeaveAction(cfg.OnLeave)
	size := s.n.Writes.Rows
	if size <= 0 {
		size = 1000
	}
	keySchema := s.keySchema()
	for start := 0; start < len(left); start += size {
		chunk := left[start:min(start+size, len(left))]
		values, err := s.store.SnapshotKeys(ctx, s.n.Address(), chunk)
		if err != nil {
			return err
		}
		rec, err := keyBatch(r, keySchema, values)
		if err != nil {
			return fmt.Errorf("rebuilding the keys of rows that left: %w", err)
		}
		res, err := s.sink.Leave(ctx, rec, action)
		rec.Release()
		if err != nil {
			return fmt.Errorf("acting on rows that left: %w", err)
		}
		failed := map[int]bool{}
		for _, e := range res.Rejects {
			failed[e.Row] = true
			r.opts.Logger.Warn("could not act on a row that left", "sink", s.n.Address(), "action", cfg.OnLeave, "code", e.Code, "reason", r.opts.Redactor.String(e.Message))
		}
		var done []state.Key
		for i, k := range chunk {
			if !failed[i] {
				done = append(done, k)
			}
		}
		s.n.counters.left.Add(int64(len(done)))
		if err := s.store.UpdateSnapshot(ctx, s.n.Address(), s.n.Fingerprint, nil, done); err != nil {
			return err
		}
	}
	r.opts.Logger.Info("acted on rows that left the input", slog.String("sink", s.n.Address()), slog.String("action", cfg.OnLeave), slog.Int64("rows", s.n.counters.left.Load()))
	return nil
}

func (s *syncer) keySchema() *arrow.Schema {
	fields := make([]arrow.Field, len(s.keyCols))
	for i, c := range s.keyCols {
		fields[i] = s.n.In.Field(c)
		fields[i].Nullable = true
	}
	return arrow.NewSchema(fields, nil)
}

// keyBatch rebuilds a batch of key columns from the JSON the snapshot keeps
// for each key.
func keyBatch(r *run, schema *arrow.Schema, values [][]byte) (arrow.RecordBatch, error) {
	var b strings.Builder
	b.WriteByte('[')
	for i, v := range values {
		var row []json.RawMessage
		if err := json.Unmarshal(v, &row); err != nil || len(row) != schema.NumFields() {
			return nil, fmt.Errorf("snapshot key %q does not match the key columns", v)
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('{')
		for j, f := range schema.Fields() {
			if j > 0 {
				b.WriteByte(',')
			}
			name, _ := json.Marshal(f.Name)
			b.Write(name)
			b.WriteByte(':')
			b.Write(row[j])
		}
		b.WriteByte('}')
	}
	b.WriteByte(']')
	rec, _, err := array.RecordFromJSON(r.opts.Allocator, schema, strings.NewReader(b.String()))
	return rec, err
}
