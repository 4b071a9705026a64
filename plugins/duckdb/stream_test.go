//go:build cgo

package duckdb_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sluicedata/sluice/plugins/duckdb"
	"github.com/sluicedata/sluice/plugins/internal/testhost"
	"github.com/sluicedata/sluice/sdk"
	"github.com/sluicedata/sluice/sdk/plugintest"
)

type countingEmitter struct {
	mu      sync.Mutex
	mem     *memory.CheckedAllocator
	rows    int64
	batches int
	peak    int
	after   func(batches int) error
}

func (e *countingEmitter) Emit(ctx context.Context, b sdk.Batch) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.rows += b.Record.NumRows()
	e.batches++
	if e.mem != nil {
		e.peak = max(e.peak, e.mem.CurrentAlloc())
	}
	if e.after != nil {
		if err := e.after(e.batches); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// TestLargeResultStreams reads five million rows — about 130 MB as Arrow —
// and checks the Arrow memory the source holds at any time is a batch's.
func TestLargeResultStreams(t *testing.T) {
	src := testhost.MustBuild[sdk.Source](t, duckdb.Source, query("SELECT i AS id, 'customer-' || i AS name, i * 0.5 AS score FROM range(5000000) t(i)"))
	defer src.Close(context.Background())
	host := testhost.New(t)
	if _, err := src.Open(context.Background(), host); err != nil {
		t.Fatal(err)
	}
	em := &countingEmitter{mem: host.Mem}
	if err := src.Read(context.Background(), nil, em); err != nil {
		t.Fatal(err)
	}
	if em.rows != 5_000_000 {
		t.Fatalf("read %d rows", em.rows)
	}
	t.Logf("%d batches; at most %.1f MiB of Arrow memory at once", em.batches, float64(em.peak)/(1<<20))
	if em.peak > 8<<20 {
		t.Errorf("the source held %.1f MiB of Arrow memory at once: batches are not streamed", float64(em.peak)/(1<<20))
	}
}

// TestCancellationStopsPromptly cancels a query that computes for a long
// time before its first row, and one whose pipeline stops taking batches.
func TestCancellationStopsPromptly(t *testing.T) {
	t.Run("before the first row", func(t *testing.T) {
		testhost.NoGoroutineLeaks(t)
		src, _, err := open(t, query("SELECT count(*) AS n FROM range(1000000000000) t(i) WHERE i % 7 = 3"))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		start := time.Now()
		err = src.Read(ctx, nil, &countingEmitter{})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Read returned %v, want the context's error", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("Read took %v to stop after 300ms", d)
		}
	})
	t.Run("emit fails", func(t *testing.T) {
		testhost.NoGoroutineLeaks(t)
		src, _, err := open(t, query("SELECT i FROM range(1000000000000) t(i)"))
		if err != nil {
			t.Fatal(err)
		}
		stop := errors.New("the run is ending")
		em := &countingEmitter{after: func(n int) error {
			if n == 2 {
				return stop
			}
			return nil
		}}
		if err := src.Read(context.Background(), nil, em); !errors.Is(err, stop) {
			t.Errorf("Read returned %v, want the emitter's error", err)
		}
	})
}

func TestSourceConformance(t *testing.T) {
	plugintest.Source(t, plugintest.SourceSuite{
		Common: plugintest.Common{
			Plugin: duckdb.Source,
			Config: fmt.Sprintf(`query = "SELECT i AS id, 'name ' || (i %% 6) AS name, i * 1.5 AS score, i %% 3 <> 0 AS active, TIMESTAMP '2024-01-01' + to_days((i // 700)::INTEGER) AS updated_at FROM range(5000) t(i) WHERE i >= $1"
args = [0]
batch_rows = 1000
incremental {
  cursor = ["updated_at", "id"]
}`),
			BadConfigs: []plugintest.BadConfig{
				{HCL: ``},
				{HCL: `query = ""`, Path: sdk.Path{"query"}},
				{HCL: "query = \"SELECT 1\"\nbatch_rows = 0", Path: sdk.Path{"batch_rows"}},
			},
		},
		MinRows: 5000,
	})
}
