package plugintest

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sluicedata/sluice/sdk"
)

// SourceSuite configures the conformance cases of a source.
type SourceSuite struct {
	Common
	// MinRows is the fewest rows a full read must emit; default 1, so that
	// the schema checks see data.
	MinRows int64
}

// Source runs the source conformance cases.
func Source(t *testing.T, s SourceSuite) {
	t.Helper()
	if s.MinRows == 0 {
		s.MinRows = 1
	}
	open := func(e *Env, ctx context.Context, inst any) error {
		_, err := inst.(sdk.Source).Open(ctx, e.Host)
		return err
	}
	s.commonCases(t, open)
	s.run(t, "Source/Read", func(e *Env) {
		got := readAll(e, s.Config, nil)
		if got.rows < s.MinRows {
			e.T.Errorf("read %d rows, want at least %d", got.rows, s.MinRows)
		}
	})
	s.run(t, "Source/Resume", func(e *Env) {
		all := readAll(e, s.Config, nil)
		at := slices.IndexFunc(all.batches, func(b emitted) bool { return b.checkpoint != nil })
		if at < 0 {
			e.T.Skip("skipped: the source emitted no checkpoint, so it cannot resume")
		}
		var want []string
		for _, b := range all.batches[at+1:] {
			want = append(want, b.rows...)
		}
		rest := readAll(e, s.Config, all.batches[at].checkpoint)
		var got []string
		for _, b := range rest.batches {
			got = append(got, b.rows...)
		}
		if !slices.Equal(got, want) {
			e.T.Errorf("resuming after batch %d emitted %d rows, want the %d after it:\ngot  %.10q\nwant %.10q", at, len(got), len(want), got, want)
		}
	})
}

type emitted struct {
	rows       []string
	checkpoint sdk.Checkpoint
}

// reading collects what a source emits and checks each batch as it comes.
type reading struct {
	e       *Env
	schema  *arrow.Schema
	mu      sync.Mutex
	batches []emitted
	rows    int64
}

func (r *reading) Emit(ctx context.Context, b sdk.Batch) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	t := r.e.T
	if b.Record == nil {
		t.Errorf("batch %d has no record", len(r.batches))
		return nil
	}
	if !b.Record.Schema().Equal(r.schema) {
		t.Errorf("batch %d has schema\n%s\nbut Open reported\n%s", len(r.batches), b.Record.Schema(), r.schema)
	}
	if err := checkRowErrors(b.Rejects, int(b.Record.NumRows())); err != nil {
		t.Errorf("batch %d: %v", len(r.batches), err)
	}
	r.rows += b.Record.NumRows()
	// Rows the source rejected do not go on; keep the rest. The source
	// releases the record after Emit returns: nothing is retained here.
	r.batches = append(r.batches, emitted{rows: without(Rows(b.Record), b.Rejects), checkpoint: slices.Clone(b.Checkpoint)})
	return ctx.Err()
}

// readAll builds, opens and reads a source from a checkpoint, then closes
// it.
func readAll(e *Env, config string, from sdk.Checkpoint) *reading {
	e.T.Helper()
	src := e.MustNew(config).(sdk.Source)
	defer closeInst(e, src)
	schema, err := src.Open(e.Ctx, e.Host)
	if err != nil {
		e.T.Fatalf("open: %v", err)
	}
	if schema == nil {
		e.T.Fatal("Open returned no schema")
	}
	r := &reading{e: e, schema: schema}
	if err := src.Read(e.Ctx, from, r); err != nil {
		e.T.Fatalf("read: %v", err)
	}
	return r
}
