package dynamics

import (
	"context"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// governor decides when the sink may send a request, so that it works at
// the pace Dataverse's service protection limits allow instead of running
// into them.
//
// Dataverse limits each user, per web server, to a number of requests and a
// combined execution time over a sliding window, and to a number of
// concurrent requests; past a limit it answers 429 with Retry-After. The
// governor:
//
//   - caps concurrency at max_concurrency, or the x-ms-dop-hint the service
//     recommends (Microsoft's guidance: use it as the degree of parallelism);
//   - pauses every request of the sink, not just the throttled one, until
//     Retry-After has passed — the limits are per user, so a request sent
//     meanwhile would only be throttled too and lengthen the wait;
//   - lowers its concurrency target by a quarter on each throttling episode
//     and raises it by one per round of successful requests while the
//     service reports plenty of budget left (additive increase,
//     multiplicative decrease); at the budget's edge, where the remaining
//     execution time stays low, it holds steady;
//   - learns the concurrent-request limit from a 429 that says it was
//     exceeded, and never goes above it again.
type governor struct {
	logger *slog.Logger

	mu          sync.Mutex
	wake        chan struct{} // closed and replaced whenever a waiter may proceed
	target      float64       // concurrency target, 1 ≤ target ≤ ceiling
	ceiling     int
	inFlight    int
	pausedUntil time.Time
	lastCut     time.Time
	// maxTime and maxBurst are the largest remaining execution time (ms)
	// and request count the service reported: about its budget.
	maxTime, maxBurst float64

	stats Traffic
	// lastThrottleLog rate-limits throttling messages.
	lastThrottleLog time.Time
}

// Traffic describes a sink's requests so far, for the log, the tests and
// the benchmark.
type Traffic struct {
	Requests    int64
	Throttled   int64
	Failed      int64 // transient failures: 5xx, dropped connections, timeouts
	MaxInFlight int
	Paused      time.Duration
	Target      float64
	Ceiling     int
}

func newGovernor(ceiling, start int, logger *slog.Logger) *governor {
	ceiling = max(1, ceiling)
	start = min(max(1, start), ceiling)
	return &governor{logger: logger, wake: make(chan struct{}), target: float64(start), ceiling: ceiling}
}

// reset sets the ceiling and the target, once the service told its
// recommended concurrency.
func (g *governor) reset(ceiling, start int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.ceiling = max(1, ceiling)
	g.target = float64(min(max(1, start), g.ceiling))
	g.broadcast()
}

// acquire waits until a request may be sent.
func (g *governor) acquire(ctx context.Context) error {
	for {
		g.mu.Lock()
		now := time.Now()
		if wait := g.pausedUntil.Sub(now); wait > 0 {
			ch := g.wake
			g.mu.Unlock()
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-ch:
				t.Stop()
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			}
			continue
		}
		if g.inFlight < int(g.target) {
			g.inFlight++
			g.stats.Requests++
			g.stats.MaxInFlight = max(g.stats.MaxInFlight, g.inFlight)
			g.mu.Unlock()
			return nil
		}
		ch := g.wake
		g.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// broadcast wakes every waiter; callers hold g.mu.
func (g *governor) broadcast() {
	close(g.wake)
	g.wake = make(chan struct{})
}

// succeeded releases a request that got an answer other than 429, with the
// answer's headers.
func (g *governor) succeeded(h http.Header) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.inFlight--
	timeLeft, okTime := headerFloat(h, "x-ms-ratelimit-time-remaining-xrm-requests")
	burstLeft, okBurst := headerFloat(h, "x-ms-ratelimit-burst-remaining-xrm-requests")
	if okTime {
		g.maxTime = math.Max(g.maxTime, timeLeft)
	}
	if okBurst {
		g.maxBurst = math.Max(g.maxBurst, burstLeft)
	}
	if g.target < float64(g.ceiling) {
		roomy := time.Since(g.lastCut) > 30*time.Second
		if okTime || okBurst {
			roomy = (!okTime || timeLeft >= g.maxTime/2) && (!okBurst || burstLeft >= g.maxBurst/2)
		}
		if roomy {
			g.target = math.Min(float64(g.ceiling), g.target+1/g.target)
		}
	}
	g.broadcast()
}

// failed releases a request that got no answer or a transient error.
func (g *governor) failed() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.inFlight--
	g.stats.Failed++
	g.broadcast()
}

// refused releases a request the service answered with an error that is
// not about load (a refused row, a missing privilege), or that was
// cancelled.
func (g *governor) refused() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.inFlight--
	g.broadcast()
}

// throttled releases a request the service answered with 429: every request
// waits retryAfter, and the concurrency target drops.
func (g *governor) throttled(retryAfter time.Duration, code string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	inFlight := g.inFlight
	g.inFlight--
	g.stats.Throttled++
	now := time.Now()
	if retryAfter <= 0 {
		retryAfter = time.Second
	}
	// A little jitter, so that requests do not all resume in the same
	// millisecond.
	until := now.Add(retryAfter + rand.N(retryAfter/10+time.Millisecond))
	if until.After(g.pausedUntil) {
		if g.pausedUntil.Before(now) {
			g.stats.Paused += until.Sub(now)
		} else {
			g.stats.Paused += until.Sub(g.pausedUntil)
		}
		g.pausedUntil = until
	}
	if code == codeConcurrencyLimit && inFlight-1 < g.ceiling {
		g.ceiling = max(1, inFlight-1)
		g.target = math.Min(g.target, float64(g.ceiling))
	}
	// One cut per throttling episode: the requests in flight when the limit
	// was hit all come back throttled.
	if now.Sub(g.lastCut) > retryAfter {
		g.target = math.Max(1, g.target*0.75)
		g.lastCut = now
	}
	if now.Sub(g.lastThrottleLog) > 10*time.Second {
		g.lastThrottleLog = now
		g.logger.Info("Dataverse is throttling; pausing", "retry_after", retryAfter, "code", code, "concurrency", int(g.target))
	}
	g.broadcast()
}

// snapshot returns the statistics so far.
func (g *governor) snapshot() Traffic {
	g.mu.Lock()
	defer g.mu.Unlock()
	s := g.stats
	s.Target, s.Ceiling = g.target, g.ceiling
	return s
}

func headerFloat(h http.Header, name string) (float64, bool) {
	v := h.Get(name)
	if v == "" {
		return 0, false
	}
	f, err := strconv.ParseFloat(v, 64)
	return f, err == nil
}

// Service protection error codes.
const (
	codeRequestLimit     = "0x80072322"
	codeTimeLimit        = "0x80072321"
	codeConcurrencyLimit = "0x80072326"
)
