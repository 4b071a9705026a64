package dynamics_test

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicedata/sluice/plugins/dynamics"
	"github.com/sluicedata/sluice/plugins/dynamics/emulator"
	"github.com/sluicedata/sluice/plugins/dynamics/emulator/emulatortest"
	"github.com/sluicedata/sluice/plugins/internal/testhost"
	"github.com/sluicedata/sluice/sdk"
)

// writeConcurrently writes n batches of rows contacts each from n
// goroutines, as the engine does with max_in_flight = n.
func writeConcurrently(t *testing.T, s *dynamics.Sink, host *testhost.Host, n, rows int) []sdk.WriteResult {
	t.Helper()
	schema := schemaOf(col{"email", text})
	results := make([]sdk.WriteResult, n)
	var wg sync.WaitGroup
	for w := range n {
		var batch [][]any
		for i := range rows {
			batch = append(batch, []any{fmt.Sprintf("w%d-%d@example.com", w, i)})
		}
		rec := record(host.Mem, schema, batch...)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer rec.Release()
			res, err := s.Write(t.Context(), rec)
			if err != nil {
				t.Errorf("write %d: %v", w, err)
			}
			results[w] = res
		}()
	}
	wg.Wait()
	return results
}

const emailOnly = `
table = "contact"
key   = { emailaddress1 = "email" }
mapping {
  lastname = "email"
}
`

// maxOverlap is the most requests the emulator was serving at once, from
// its log.
func maxOverlap(log []emulator.LogEntry) int {
	type edge struct {
		at    time.Time
		delta int
	}
	var edges []edge
	for _, e := range log {
		if e.InBatch {
			continue
		}
		edges = append(edges, edge{e.Time, 1}, edge{e.Time.Add(e.Duration), -1})
	}
	sort.Slice(edges, func(i, j int) bool {
		if edges[i].at.Equal(edges[j].at) {
			return edges[i].delta < edges[j].delta
		}
		return edges[i].at.Before(edges[j].at)
	})
	most, cur := 0, 0
	for _, e := range edges {
		cur += e.delta
		most = max(most, cur)
	}
	return most
}

func TestConcurrencyNeverExceedsTheLimit(t *testing.T) {
	srv := startEmulator(t, emulatortest.WithLimits(emulator.Limits{Concurrent: 3, DOPHint: 3}),
		emulatortest.WithCost(emulator.Cost{PerRequest: 30 * time.Millisecond}))
	host := testhost.New(t)
	s := open(t, host, schemaOf(col{"email", text}), connection(srv)+emailOnly)
	srv.ResetRequestLog()
	writeConcurrently(t, s, host, 16, 20)
	if n, _ := srv.Count("contact"); n != 16*20 {
		t.Errorf("%d contacts, want %d", n, 16*20)
	}
	log := srv.RequestLog()
	for _, e := range log {
		if e.Status == 429 {
			t.Errorf("throttled: %+v", e)
		}
	}
	if most := maxOverlap(log); most > 3 {
		t.Errorf("the emulator served %d requests at once; the limit is 3", most)
	}
	if st := s.Stats(); st.MaxInFlight != 3 {
		t.Errorf("the sink had at most %d requests in flight, want 3 (the dop hint)", st.MaxInFlight)
	}
}

func TestConcurrencyLimitIsLearntFromA429(t *testing.T) {
	srv := startEmulator(t, emulatortest.WithLimits(emulator.Limits{Concurrent: 2, DOPHint: 2}),
		emulatortest.WithCost(emulator.Cost{PerRequest: 50 * time.Millisecond}))
	host := testhost.New(t)
	s := open(t, host, schemaOf(col{"email", text}), connection(srv)+emailOnly+"max_concurrency = 6\n")
	writeConcurrently(t, s, host, 12, 10)
	if n, _ := srv.Count("contact"); n != 120 {
		t.Errorf("%d contacts, want 120", n)
	}
	st := s.Stats()
	if st.Throttled == 0 || st.Ceiling > 2 {
		t.Errorf("stats %+v: the sink must have been throttled and learnt the limit of 2", st)
	}
}

func TestRetryAfterPausesTheWholeSink(t *testing.T) {
	srv := startEmulator(t, emulatortest.WithCost(emulator.Cost{PerRequest: 100 * time.Millisecond}),
		withFaults(emulator.Fault{Kind: emulator.FaultThrottle, RetryAfter: 2 * time.Second, Path: "UpsertMultiple", After: 2, Count: 1}))
	host := testhost.New(t)
	s := open(t, host, schemaOf(col{"email", text}), connection(srv)+emailOnly)
	srv.ResetRequestLog()
	start := time.Now()
	writeConcurrently(t, s, host, 8, 5)
	if n, _ := srv.Count("contact"); n != 40 {
		t.Errorf("%d contacts, want 40", n)
	}
	log := srv.RequestLog()
	var throttledAt time.Time
	for _, e := range log {
		if e.Status == 429 {
			throttledAt = e.Time.Add(e.Duration)
		}
	}
	if throttledAt.IsZero() {
		t.Fatal("no 429: the test proves nothing")
	}
	// Requests the sink started before the 429 reached it may arrive just
	// after; none may start later until Retry-After has passed.
	for _, e := range log {
		if e.Time.After(throttledAt.Add(100*time.Millisecond)) && e.Time.Before(throttledAt.Add(2*time.Second)) {
			t.Errorf("a request started %s after the 429 asked for 2s: %s %s", e.Time.Sub(throttledAt), e.Method, e.Path)
		}
	}
	if time.Since(start) < 2*time.Second {
		t.Errorf("the writes took %s, less than the Retry-After", time.Since(start))
	}
}

func TestTransientFailuresAreRetried(t *testing.T) {
	srv := startEmulator(t, withFaults(
		emulator.Fault{Kind: emulator.FaultError, Status: 503, Path: "UpsertMultiple", Count: 2},
		emulator.Fault{Kind: emulator.FaultReset, Path: "UpsertMultiple", Count: 1}))
	host := testhost.New(t)
	s := open(t, host, schemaOf(col{"email", text}), connection(srv)+emailOnly)
	res := write(t, s, record(host.Mem, schemaOf(col{"email", text}), []any{"a@x.com"}, []any{"b@x.com"}))
	if len(res.Rejects) != 0 {
		t.Errorf("rejects %+v", res.Rejects)
	}
	if st := s.Stats(); st.Failed != 3 {
		t.Errorf("stats %+v, want 3 transient failures", st)
	}
	if n, _ := srv.Count("contact"); n != 2 {
		t.Errorf("%d contacts", n)
	}
}

func TestRowsOutlastingTheRetryBudgetAreRejectedNotLost(t *testing.T) {
	srv := startEmulator(t, withFaults(emulator.Fault{Kind: emulator.FaultError, Status: 503, Path: "UpsertMultiple", Message: "Service unavailable for maintenance."}))
	host := testhost.New(t)
	s := open(t, host, schemaOf(col{"email", text}), connection(srv)+emailOnly+"max_attempts = 2\n")
	res := write(t, s, record(host.Mem, schemaOf(col{"email", text}), []any{"a@x.com"}, []any{"b@x.com"}))
	if len(res.Rejects) != 2 {
		t.Fatalf("rejects %+v, want both rows", res.Rejects)
	}
	for _, r := range res.Rejects {
		if r.Code != "dynamics.gave_up" || !strings.Contains(r.Message, "gave up after 2 attempts") || !strings.Contains(r.Message, "maintenance") {
			t.Errorf("reject %+v", r)
		}
	}
}

func TestAPersistent500IsBisectedLikeARowError(t *testing.T) {
	srv := startEmulator(t, withFaults(emulator.Fault{Kind: emulator.FaultError, Status: 500, Path: "UpsertMultiple"}))
	host := testhost.New(t)
	s := open(t, host, schemaOf(col{"email", text}), connection(srv)+emailOnly+"max_attempts = 2\n")
	res := write(t, s, record(host.Mem, schemaOf(col{"email", text}), []any{"a@x.com"}, []any{"b@x.com"}))
	if len(res.Rejects) != 0 {
		t.Errorf("rejects %+v: the $batch the rows were isolated into succeeds", res.Rejects)
	}
	if n, _ := srv.Count("contact"); n != 2 {
		t.Errorf("%d contacts", n)
	}
}

func TestThrottlingBudgetIsRespected(t *testing.T) {
	// A small execution-time budget: 1 s of server time per 2 s. The writes
	// need about 3 s of it, so the service must throttle, and the sink must
	// wait and finish.
	srv := startEmulator(t, emulatortest.WithLimits(emulator.Limits{Requests: 100, Window: 2 * time.Second, ExecutionTime: time.Second, Concurrent: 8, DOPHint: 8}),
		emulatortest.WithCost(emulator.Cost{PerRequest: 20 * time.Millisecond, PerRecord: time.Millisecond}))
	host := testhost.New(t)
	s := open(t, host, schemaOf(col{"email", text}), connection(srv)+emailOnly)
	srv.ResetRequestLog()
	writeConcurrently(t, s, host, 24, 100)
	if n, _ := srv.Count("contact"); n != 2400 {
		t.Errorf("%d contacts, want 2400", n)
	}
	st := s.Stats()
	if st.Throttled == 0 {
		t.Errorf("stats %+v: the service must have throttled and the sink slowed down", st)
	}
	t.Logf("stats %+v", st)
}
