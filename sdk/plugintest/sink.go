package plugintest

import (
	"context"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sluicedata/sluice/sdk"
)

// SinkSuite configures the conformance cases of a sink.
type SinkSuite struct {
	Common
	// Input builds the batches to write, all of one schema, with mem. The
	// suite releases them.
	Input func(mem memory.Allocator) []arrow.RecordBatch
	// ReadBack returns, retained, every row the sink's destination holds
	// for the configuration, after Close. The suite releases them.
	ReadBack func(ctx context.Context) ([]arrow.RecordBatch, error)
	// Reset empties the destination. The suite calls it before and after
	// each case that writes, so that the destination releases what it holds
	// before the leak check.
	Reset func(ctx context.Context) error
	// Idempotent claims that writing the same rows again leaves the
	// destination as writing them once: an upsert by key. The suite also
	// takes the claim from the sink itself, an sdk.Idempotent whose
	// Idempotent returns true, since that is the claim the engine acts on.
	Idempotent bool
	// BadInput, when set, builds a batch some rows of which the sink must
	// reject, and the indices of those rows.
	BadInput func(mem memory.Allocator) (arrow.RecordBatch, []int)
	// Ordered says ReadBack returns rows in the order written; otherwise
	// rows are compared as sets.
	Ordered bool
}

// Sink runs the sink conformance cases.
func Sink(t *testing.T, s SinkSuite) {
	t.Helper()
	if s.Input == nil || s.ReadBack == nil {
		t.Fatal("plugintest: SinkSuite needs Input and ReadBack")
	}
	var schema *arrow.Schema
	{
		probe := s.Input(memory.NewGoAllocator())
		if len(probe) == 0 {
			t.Fatal("plugintest: Input returned no batches")
		}
		schema = probe[0].Schema()
		for _, b := range probe {
			b.Release()
		}
	}
	open := func(e *Env, ctx context.Context, inst any) error {
		return inst.(sdk.Sink).Open(ctx, e.Host, schema)
	}
	s.commonCases(t, open)
	s.run(t, "Sink/WriteReadBack", func(e *Env) {
		s.reset(e)
		defer s.reset(e)
		want := s.write(e, schema, 1)
		s.compare(e, want, "after writing the input once")
	})
	s.run(t, "Sink/Idempotent", func(e *Env) {
		if !s.Idempotent && !s.claimsIdempotent(e) {
			e.T.Skip("skipped: the sink does not claim to be idempotent (sdk.Idempotent)")
		}
		s.reset(e)
		defer s.reset(e)
		want := s.write(e, schema, 2)
		s.compare(e, want, "after writing the input twice through one instance")
		// A run that resumes writes the rows after its checkpoint again
		// through a new instance: that must change nothing either.
		s.write(e, schema, 1)
		s.compare(e, want, "after writing it again through a new instance, as a resumed run does")
	})
	s.run(t, "Sink/PartialFailure", func(e *Env) {
		if s.BadInput == nil {
			e.T.Skip("skipped: the suite gives no BadInput, rows the sink must reject")
		}
		s.reset(e)
		defer s.reset(e)
		rec, bad := s.BadInput(e.Host.Mem)
		defer rec.Release()
		sink := e.MustNew(s.Config).(sdk.Sink)
		if err := sink.Open(e.Ctx, e.Host, rec.Schema()); err != nil {
			e.T.Fatalf("open: %v", err)
		}
		res, err := sink.Write(e.Ctx, rec)
		closeInst(e, sink)
		if err != nil {
			e.T.Fatalf("write: %v", err)
		}
		if err := checkRowErrors(res.Rejects, int(rec.NumRows())); err != nil {
			e.T.Error(err)
		}
		var got []int
		for _, r := range res.Rejects {
			got = append(got, r.Row)
		}
		slices.Sort(got)
		if !slices.Equal(got, bad) {
			e.T.Errorf("rejected rows %v, want %v", got, bad)
		}
	})
}

// claimsIdempotent reports whether an instance of the configuration says
// it is idempotent. It asks one built in process, even in gRPC mode: the
// claim is what the engine reads from a builtin sink.
func (s *SinkSuite) claimsIdempotent(e *Env) bool {
	e.T.Helper()
	v, err := e.Decode(s.Config)
	if err != nil {
		e.T.Fatalf("configuration %q: %v", s.Config, err)
	}
	inst, err := s.Plugin.New(e.Ctx, v)
	if err != nil {
		e.T.Fatalf("configuration %q: %v", s.Config, err)
	}
	defer closeInst(e, inst)
	i, ok := inst.(sdk.Idempotent)
	return ok && i.Idempotent()
}

func (s *SinkSuite) reset(e *Env) {
	if s.Reset != nil {
		if err := s.Reset(e.Ctx); err != nil {
			e.T.Fatalf("reset: %v", err)
		}
	}
}

// write writes the input times times through one new instance and returns
// the rows that must read back.
func (s *SinkSuite) write(e *Env, schema *arrow.Schema, times int) []string {
	e.T.Helper()
	inputs := s.Input(e.Host.Mem)
	defer func() {
		for _, b := range inputs {
			b.Release()
		}
	}()
	sink := e.MustNew(s.Config).(sdk.Sink)
	if err := sink.Open(e.Ctx, e.Host, schema); err != nil {
		closeInst(e, sink)
		e.T.Fatalf("open: %v", err)
	}
	var want []string
	for range times {
		want = nil
		for i, b := range inputs {
			before := Rows(b)
			res, err := sink.Write(e.Ctx, b)
			if err != nil {
				closeInst(e, sink)
				e.T.Fatalf("write batch %d: %v", i, err)
			}
			if !slices.Equal(Rows(b), before) {
				e.T.Errorf("Write modified batch %d", i)
			}
			if err := checkRowErrors(res.Rejects, int(b.NumRows())); err != nil {
				e.T.Errorf("batch %d: %v", i, err)
			}
			if n := len(res.Rejects) + res.Skipped + res.Deduplicated; n > int(b.NumRows()) {
				e.T.Errorf("batch %d: %d rows, %d not written", i, b.NumRows(), n)
			}
			if res.Skipped == 0 && res.Deduplicated == 0 {
				want = append(want, without(before, res.Rejects)...)
			}
		}
	}
	if err := sink.Close(e.Ctx); err != nil {
		e.T.Fatalf("close: %v", err)
	}
	return want
}

// compare reads the destination back and checks that it holds want; when
// says when.
func (s *SinkSuite) compare(e *Env, want []string, when string) {
	e.T.Helper()
	recs, err := s.ReadBack(e.Ctx)
	if err != nil {
		e.T.Fatalf("read back: %v", err)
	}
	var got []string
	for _, r := range recs {
		got = append(got, Rows(r)...)
		r.Release()
	}
	if !s.Ordered {
		got, want = sortedRows(got), sortedRows(want)
	}
	if !slices.Equal(got, want) {
		e.T.Errorf("%s, read back %d rows, which differ from the %d written:\ngot  %.10q\nwant %.10q", when, len(got), len(want), got, want)
	}
}
