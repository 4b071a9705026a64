package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"

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

	mu      sync.Mutex
	seen    map[state.Key]struct{}
	pending []state.Entry
}

// newSyncer loads a sync sink's snapshot.
func newSyncer(ctx context.Context, r *run, n *node) (*syncer, error) {
	sink := n.Sink.(sdk.Syncer)
	s := &syncer{n: n, sink: sink, store: r.opts.State, seen: map[state.Key]struct{}{}}
	for _, name := range sink.KeyColumns() {
		s.keyCols = append(s.keyCols, n.In.FieldIndices(name)[0])
	}
	snap, err := s.store.Snapshot(ctx, n.Address())
	if err != nil {
		return nil, err
	}
	s.snapshot = snap
	switch {
	case r.opts.FullSync:
		s.sendAll = true
		r.opts.Logger.Info("sending every row, as asked (--full)", "sink", n.Address())
	case len(snap.Rows) > 0 && snap.Fingerprint != n.Fingerprint:
		s.sendAll = true
		r.opts.Logger.Info("the sink's configuration or input changed since the last run: sending every row", "sink", n.Address())
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
		s.seen[key] = struct{}{}
		if prev, ok := s.snapshot.Rows[key]; ok && prev == content && !s.sendAll {
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

// save writes the confirmed rows to the snapshot.
func (s *syncer) save(ctx context.Context) error {
	s.mu.Lock()
	pending := s.pending
	s.pending = nil
	s.mu.Unlock()
	if len(pending) == 0 {
		return nil
	}
	return s.store.UpdateSnapshot(ctx, s.n.Address(), s.n.Fingerprint, pending, nil)
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
