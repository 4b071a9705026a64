package state_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicedata/sluice/engine/state"
	"github.com/sluicedata/sluice/sdk"
)

// storeSuite checks the behaviour every backend must have. open opens the
// store of a pipeline; reopening with the same name must find what was
// saved.
func storeSuite(t *testing.T, open func(t *testing.T, pipeline string) state.Store) {
	ctx := context.Background()
	t.Run("checkpoints", func(t *testing.T) {
		s := open(t, "p1")
		if cps, err := s.Checkpoints(ctx); err != nil || len(cps) != 0 {
			t.Fatalf("new store has checkpoints %v, %v", cps, err)
		}
		must(t, s.SaveCheckpoint(ctx, "source.a", sdk.Checkpoint("one")))
		must(t, s.SaveCheckpoint(ctx, "source.a", sdk.Checkpoint("two")))
		must(t, s.SaveCheckpoint(ctx, "source.b", sdk.Checkpoint("b")))
		must(t, s.ClearCheckpoint(ctx, "source.b"))
		s.Close()
		s = open(t, "p1")
		defer s.Close()
		cps, err := s.Checkpoints(ctx)
		must(t, err)
		if len(cps) != 1 || string(cps["source.a"]) != "two" {
			t.Errorf("checkpoints after reopening: %v", cps)
		}
		other := open(t, "p2")
		defer other.Close()
		if cps, _ := other.Checkpoints(ctx); len(cps) != 0 {
			t.Errorf("another pipeline sees checkpoints %v", cps)
		}
	})
	t.Run("snapshots", func(t *testing.T) {
		s := open(t, "p3")
		defer s.Close()
		k1, k2, k3 := state.Key{1}, state.Key{2}, state.Key{3}
		must(t, s.UpdateSnapshot(ctx, "sink.x", "fp1", []state.Entry{
			{Key: k1, Hash: state.Hash{11}, Values: []byte(`["a"]`)},
			{Key: k2, Hash: state.Hash{22}, Values: []byte(`["b"]`)},
		}, nil))
		must(t, s.UpdateSnapshot(ctx, "sink.x", "fp2", []state.Entry{
			{Key: k2, Hash: state.Hash{23}, Values: []byte(`["b"]`)},
			{Key: k3, Hash: state.Hash{33}, Values: []byte(`["c"]`)},
		}, []state.Key{k1}))
		snap, err := s.Snapshot(ctx, "sink.x")
		must(t, err)
		if snap.Fingerprint != "fp2" || len(snap.Rows) != 2 || snap.Rows[k2] != (state.Hash{23}) || snap.Rows[k3] != (state.Hash{33}) {
			t.Errorf("snapshot %+v", snap)
		}
		vals, err := s.SnapshotKeys(ctx, "sink.x", []state.Key{k3, k2})
		must(t, err)
		if string(vals[0]) != `["c"]` || string(vals[1]) != `["b"]` {
			t.Errorf("key values %q", vals)
		}
		if empty, err := s.Snapshot(ctx, "sink.none"); err != nil || len(empty.Rows) != 0 || empty.Fingerprint != "" {
			t.Errorf("missing snapshot: %+v, %v", empty, err)
		}
		must(t, s.ResetSnapshot(ctx, "sink.x"))
		if snap, _ := s.Snapshot(ctx, "sink.x"); len(snap.Rows) != 0 {
			t.Errorf("snapshot survived its reset: %d rows", len(snap.Rows))
		}
	})
	t.Run("runs", func(t *testing.T) {
		s := open(t, "p4")
		defer s.Close()
		t0 := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
		for i := range 3 {
			id, err := s.StartRun(ctx, t0.Add(time.Duration(i)*time.Minute))
			must(t, err)
			must(t, s.EndRun(ctx, state.Run{ID: id, Started: t0.Add(time.Duration(i) * time.Minute), Ended: t0.Add(time.Duration(i)*time.Minute + time.Second),
				Status: "succeeded", Nodes: json.RawMessage(`[{"node":"sink.x","in":5}]`), Rejected: int64(i)}))
		}
		id, err := s.StartRun(ctx, t0.Add(time.Hour))
		must(t, err)
		runs, err := s.Runs(ctx, 3)
		must(t, err)
		if len(runs) != 3 || runs[0].ID != id || runs[0].Status != "running" || runs[1].Rejected != 2 || !strings.Contains(strings.ReplaceAll(string(runs[1].Nodes), " ", ""), `"in":5`) {
			t.Errorf("runs %+v", runs)
		}
	})
	t.Run("describe and reset", func(t *testing.T) {
		s := open(t, "p5")
		defer s.Close()
		must(t, s.SaveCheckpoint(ctx, "source.a", sdk.Checkpoint("x")))
		must(t, s.UpdateSnapshot(ctx, "sink.y", "fp", []state.Entry{{Key: state.Key{9}}}, nil))
		_, err := s.StartRun(ctx, time.Now())
		must(t, err)
		sum, err := s.Describe(ctx)
		must(t, err)
		if sum.Pipeline != "p5" || len(sum.Checkpoints) != 1 || sum.Snapshots["sink.y"] != 1 || sum.Runs != 1 {
			t.Errorf("summary %+v", sum)
		}
		must(t, s.Reset(ctx))
		sum, _ = s.Describe(ctx)
		if len(sum.Checkpoints) != 0 || len(sum.Snapshots) != 0 || sum.Runs != 0 {
			t.Errorf("after reset %+v", sum)
		}
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestFileStore(t *testing.T) {
	dir := filepath.Join(t.TempDir(), ".sluice")
	storeSuite(t, func(t *testing.T, pipeline string) state.Store {
		s, err := state.OpenFile(filepath.Join(dir, pipeline+".db"), pipeline)
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestFileStoreIsHeldByOneRunAtATime(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := state.OpenFile(path, "p")
	must(t, err)
	defer s.Close()
	if _, err := state.OpenFile(path, "p"); err == nil || !strings.Contains(err.Error(), "in use by another run") {
		t.Errorf("second open: %v", err)
	}
}

func TestMemoryStore(t *testing.T) {
	stores := map[string]state.Store{}
	storeSuite(t, func(t *testing.T, pipeline string) state.Store {
		if s, ok := stores[pipeline]; ok {
			return s
		}
		stores[pipeline] = state.NewMemory(pipeline)
		return stores[pipeline]
	})
}

// The file store puts a save's entries in key order (bbolt is quadratic
// otherwise); of two entries of one key, the later still wins.
func TestFileStoreKeepsTheLaterOfTwoEntriesOfAKey(t *testing.T) {
	s, err := state.OpenFile(filepath.Join(t.TempDir(), "state.db"), "p")
	must(t, err)
	defer s.Close()
	ctx := context.Background()
	k1, k2 := state.Key{9}, state.Key{1}
	must(t, s.UpdateSnapshot(ctx, "sink.x", "fp", []state.Entry{
		{Key: k1, Hash: state.Hash{1}, Values: []byte(`["old"]`)},
		{Key: k2, Hash: state.Hash{2}, Values: []byte(`["b"]`)},
		{Key: k1, Hash: state.Hash{3}, Values: []byte(`["new"]`)},
	}, nil))
	snap, err := s.Snapshot(ctx, "sink.x")
	must(t, err)
	vals, err := s.SnapshotKeys(ctx, "sink.x", []state.Key{k1})
	must(t, err)
	if len(snap.Rows) != 2 || snap.Rows[k1] != (state.Hash{3}) || string(vals[0]) != `["new"]` {
		t.Errorf("snapshot %v, key values %s", snap.Rows, vals)
	}
}

// BenchmarkFileStoreUpdateSnapshot saves 50,000 entries with random keys,
// as a sync run's first save does, into a new store.
func BenchmarkFileStoreUpdateSnapshot(b *testing.B) {
	entries := make([]state.Entry, 50_000)
	for i := range entries {
		binary.LittleEndian.PutUint64(entries[i].Key[:], rand.Uint64())
		binary.LittleEndian.PutUint64(entries[i].Key[8:], rand.Uint64())
		entries[i].Values = []byte(`["person12345@example.com"]`)
	}
	for i := 0; b.Loop(); i++ {
		s, err := state.OpenFile(filepath.Join(b.TempDir(), fmt.Sprintf("s%d.db", i)), "p")
		if err != nil {
			b.Fatal(err)
		}
		if err := s.UpdateSnapshot(context.Background(), "sink.x", "fp", entries, nil); err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
}
