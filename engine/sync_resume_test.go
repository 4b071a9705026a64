package engine_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/sluicedata/sluice/engine"
)

// syncPipeline is a seq source of batches×10 rows whose v column is value,
// synced into kvsync with on_leave = "delete".
func syncPipeline(stateBlock string, batches int, value, label string) string {
	return fmt.Sprintf(`
%s
source "seq" "ids" {
  batches = %d
  pause   = "2ms"
  value   = %q
}
sink "kvsync" "out" {
  input = source.ids
  label = %q
  sync {
    mode              = "changes"
    on_leave          = "delete"
    max_leave_percent = 50
  }
}
`, stateBlock, batches, value, label)
}

// interruptAfterWrites runs p and cancels it once the sink has written n
// more rows.
func interruptAfterWrites(t *testing.T, p *engine.Pipeline, kv *kvStore, n int) {
	t.Helper()
	kv.mu.Lock()
	target := kv.total + n
	kv.mu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for ctx.Err() == nil {
			kv.mu.Lock()
			done := kv.total >= target
			kv.mu.Unlock()
			if done {
				cancel()
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	stats, _ := p.Run(ctx, engine.RunOptions{Grace: 5 * time.Second})
	if stats.Status != engine.StatusInterrupted {
		t.Fatalf("status %s (%s), want interrupted", stats.Status, stats.Error)
	}
}

// An interrupted sync run keeps what it wrote in the snapshot; the next run
// reads the whole input again, sends only what the interrupted run did not
// write, and acts on exactly the rows that left — not on the rows before
// the interrupted run's checkpoint, which resuming after it would skip.
func TestSyncAfterAnInterruptedRunStartsOverAndSendsOnlyTheRest(t *testing.T) {
	eng, kv := statefulEngine(t)
	stateBlock := fmt.Sprintf("state { path = %q }", filepath.Join(t.TempDir(), "state.db"))
	first := parseWith(t, eng, syncPipeline(stateBlock, 30, "a", ""))
	if _, err := first.Run(context.Background(), engine.RunOptions{}); err != nil {
		t.Fatal(err)
	}
	// Every row changes, and the last ten leave.
	p := parseWith(t, eng, syncPipeline(stateBlock, 29, "b", ""))
	kv.mu.Lock()
	before := kv.total
	kv.mu.Unlock()
	interruptAfterWrites(t, p, kv, 100)
	kv.mu.Lock()
	interrupted := kv.total - before
	leftEarly := len(kv.left)
	kv.mu.Unlock()
	if interrupted >= 290 || leftEarly != 0 {
		t.Fatalf("the interrupted run wrote %d rows and acted on %d that left", interrupted, leftEarly)
	}
	stats, err := p.Run(context.Background(), engine.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	src, _ := stats.Node("source.ids")
	sink, _ := stats.Node("sink.out")
	if src.In != 290 {
		t.Errorf("the rerun read %d rows, want the whole input, 290", src.In)
	}
	if sink.Unchanged != int64(interrupted) || sink.Left != 10 {
		t.Errorf("the rerun: %d unchanged (want the %d the interrupted run wrote), %d left (want 10)", sink.Unchanged, interrupted, sink.Left)
	}
	kv.mu.Lock()
	defer kv.mu.Unlock()
	if kv.total-before != 290 {
		t.Errorf("the two runs wrote %d rows, want each of the 290 once", kv.total-before)
	}
	for id := range int64(300) {
		switch {
		case id < 290 && (kv.values[id] != "b" || kv.left[id] != 0):
			t.Errorf("id %d: value %q, acted on %d times as left; want b, kept", id, kv.values[id], kv.left[id])
		case id >= 290 && kv.left[id] != 1:
			t.Errorf("id %d left the input; acted on %d times, want once", id, kv.left[id])
		}
	}
}

// A source checkpoint reaches the state store only once the snapshot holds
// every row before it: otherwise a crash between the two saves would lose
// the snapshot entries of rows a resumed (incremental) run does not read
// again.
func TestSyncSnapshotIsNeverBehindACheckpoint(t *testing.T) {
	eng, _ := statefulEngine(t)
	// Incremental, so that the checkpoint outlives the run; the state store
	// saves checkpoints every second, so the run lasts a few.
	p := parseWith(t, eng, `
source "seq" "ids" {
  batches     = 100
  pause       = "25ms"
  incremental = true
}
sink "kvsync" "out" {
  input = source.ids
  sync { mode = "changes" }
}
`)
	store, err := p.State(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := p.Run(context.Background(), engine.RunOptions{})
		done <- err
	}()
	checks, ahead := 0, 0
	for running := true; running; {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			running = false
		case <-time.After(3 * time.Millisecond):
		}
		// Checkpoint first: the snapshot read after it can only be newer.
		cps, _ := store.Checkpoints(context.Background())
		cp, ok := cps["source.ids"]
		if !ok {
			continue
		}
		snap, _ := store.Snapshot(context.Background(), "sink.out")
		checks++
		if upTo := int(binary.BigEndian.Uint64(cp)) * 10; len(snap.Rows) < upTo {
			ahead++
			if ahead == 1 {
				t.Errorf("checkpoint after row %d saved while the snapshot holds %d rows", upTo, len(snap.Rows))
			}
		}
	}
	if checks == 0 {
		t.Fatal("no checkpoint was seen while the run went")
	}
}

// While a run sends every row because the sink's configuration changed, the
// rows it saves before it ends do not make the snapshot trusted: after an
// interruption, the next run sends every row again, not only those the
// interrupted run did not reach.
func TestSyncSnapshotOfAnotherConfigurationStaysDistrustedUntilARunEnds(t *testing.T) {
	eng, kv := statefulEngine(t)
	stateBlock := fmt.Sprintf("state { path = %q }", filepath.Join(t.TempDir(), "state.db"))
	if _, err := parseWith(t, eng, syncPipeline(stateBlock, 30, "a", "v1")).Run(context.Background(), engine.RunOptions{}); err != nil {
		t.Fatal(err)
	}
	p := parseWith(t, eng, syncPipeline(stateBlock, 30, "a", "v2"))
	interruptAfterWrites(t, p, kv, 100)
	kv.mu.Lock()
	before := kv.total
	kv.mu.Unlock()
	stats, err := p.Run(context.Background(), engine.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	kv.mu.Lock()
	sent := kv.total - before
	kv.mu.Unlock()
	if sent != 300 {
		t.Errorf("after an interrupted run under a new configuration, the next run sent %d rows, want all 300", sent)
	}
	// That run finished: the snapshot is trusted again.
	stats, err = p.Run(context.Background(), engine.RunOptions{})
	if n, _ := stats.Node("sink.out"); err != nil || n.Unchanged != 300 {
		t.Errorf("the run after: %v, %+v", err, n)
	}
}
