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
// combined execution time over a sliding window (6,000 and 20 minutes per 5
// minutes by default), and to a number of concurrent requests (52); past a
// limit it answers 429 with Retry-After. For all but tiny requests the
// execution-time budget is what bounds throughput, and the sink does best
// spending it exactly as fast as the window frees it. The governor:
//
//   - caps requests in flight at max_concurrency, or at the x-ms-dop-hint the
//     service recommends (Microsoft: use it as the degree of parallelism);
//   - paces them: its pace is the execution time the sink may spend per
//     second — requests in flight, fractionally — kept by spacing request
//     starts by their average duration over the pace (a generic cell rate
//     algorithm with little burst tolerance). It starts at the hint;
//   - on a 429, pauses every request of the sink, not just the throttled
//     one, until Retry-After has passed: the limits are per user, so a
//     request sent meanwhile would only be throttled too. A lone 429 lowers
//     the pace to leave a request and a half's worth of the budget (the sink
//     is at its edge); another soon after
//     resuming lowers it by a quarter (the pace is plainly too high);
//   - raises the pace towards the share of the window the service reports
//     unused (x-ms-ratelimit-time-remaining-xrm-requests and
//     …-burst-remaining-…), aiming to leave a request and a half's worth, once the window has
//     turned over since the last change so that the report reflects the
//     current pace; without those headers, by one after 30 s without a 429;
//   - learns the concurrent-request limit from a 429 that says it was
//     exceeded, and never goes above it again.
type governor struct {
	logger *slog.Logger

	mu   sync.Mutex
	wake chan struct{} // closed and replaced whenever a waiter may proceed
	// pace is the execution time the sink may spend per second; requests in
	// flight are capped at ceil(pace) and ceiling.
	pace     float64
	ceiling  int
	inFlight int
	// next is when the next request may start for the sink to keep its
	// pace: starts are spaced by a request's average duration over the
	// pace, give or take half that. A larger tolerance would let bursts
	// above the pace last long enough to fill the service's window.
	next time.Time
	avg  float64 // moving average of request durations, seconds

	started     time.Time
	pausedUntil time.Time
	lastChange  time.Time
	// lastEpisode is when the last throttling pause ended.
	lastEpisode time.Time
	// maxTime and maxBurst are the largest remaining execution time (s) and
	// request count the service reported: about its budget.
	maxTime, maxBurst float64
	// window is the longest the service's window was estimated to be.
	window time.Duration
	// done holds recent answered requests, for the rate the sink spends
	// execution time at.
	done []completion

	stats Traffic
	// lastThrottleLog rate-limits throttling messages.
	lastThrottleLog time.Time
}

type completion struct {
	at      time.Time
	latency time.Duration
}

// Traffic describes a sink's requests so far, for the log, the tests and
// the benchmark.
type Traffic struct {
	Requests    int64
	Throttled   int64
	Failed      int64 // transient failures: 5xx, dropped connections, timeouts
	MaxInFlight int
	Paused      time.Duration
	// Pace is the execution time per second the sink allows itself, about
	// the requests it keeps in flight.
	Pace    float64
	Ceiling int
}

func newGovernor(ceiling, start int, logger *slog.Logger) *governor {
	g := &governor{logger: logger, wake: make(chan struct{})}
	g.setLocked(ceiling, start)
	return g
}

// reset sets the ceiling and the pace, once the service told its
// recommended concurrency.
func (g *governor) reset(ceiling, start int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.setLocked(ceiling, start)
	g.broadcast()
}

func (g *governor) setLocked(ceiling, start int) {
	now := time.Now()
	g.ceiling = max(1, ceiling)
	g.pace = float64(min(max(1, start), g.ceiling))
	g.started, g.lastChange, g.next = now, now, now
}

// slots is how many requests may be in flight.
func (g *governor) slots() int {
	return min(g.ceiling, max(1, int(math.Ceil(g.pace-1e-9))))
}

// acquire waits until a request may be sent.
func (g *governor) acquire(ctx context.Context) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		g.mu.Lock()
		now := time.Now()
		// Spacing matters only for a fractional pace; at a whole one the
		// slots alone keep it.
		var interval time.Duration
		if g.pace < float64(g.slots())-1e-9 {
			interval = time.Duration(g.avg / g.pace * float64(time.Second))
		}
		wait := g.pausedUntil.Sub(now)
		if early := g.next.Add(-interval / 2).Sub(now); wait <= 0 && early > 0 {
			wait = early
		}
		if wait <= 0 && g.inFlight < g.slots() {
			g.inFlight++
			if g.next.Before(now) {
				g.next = now
			}
			g.next = g.next.Add(interval)
			g.stats.Requests++
			g.stats.MaxInFlight = max(g.stats.MaxInFlight, g.inFlight)
			g.mu.Unlock()
			return nil
		}
		ch := g.wake
		g.mu.Unlock()
		if err := waitFor(ctx, wait, ch); err != nil {
			return err
		}
	}
}

// waitFor waits for d (when positive), ch, or ctx.
func waitFor(ctx context.Context, d time.Duration, ch <-chan struct{}) error {
	var timer <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timer = t.C
	}
	select {
	case <-timer:
	case <-ch:
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}

// broadcast wakes every waiter; callers hold g.mu.
func (g *governor) broadcast() {
	close(g.wake)
	g.wake = make(chan struct{})
}

// succeeded releases a request that got an answer other than 429 after
// latency, with the answer's headers.
func (g *governor) succeeded(h http.Header, latency time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.inFlight--
	now := time.Now()
	g.charge(now, latency)
	timeLeft, okTime := headerFloat(h, "x-ms-ratelimit-time-remaining-xrm-requests")
	timeLeft /= 1000 // milliseconds
	burstLeft, okBurst := headerFloat(h, "x-ms-ratelimit-burst-remaining-xrm-requests")
	g.maxTime = math.Max(g.maxTime, timeLeft)
	g.maxBurst = math.Max(g.maxBurst, burstLeft)
	if g.pace < float64(g.ceiling) {
		if p := g.roomyPace(now, okTime, timeLeft, okBurst, burstLeft); p > g.pace*1.005 {
			g.pace = math.Min(float64(g.ceiling), p)
			g.lastChange = now
		}
	}
	g.broadcast()
}

// charge records a request's duration.
func (g *governor) charge(now time.Time, latency time.Duration) {
	d := latency.Seconds()
	if g.avg == 0 {
		g.avg = d
	} else {
		g.avg += (d - g.avg) / 8
	}
	g.done = append(g.done, completion{at: now, latency: latency})
}

// roomyPace is the pace the service's report of its window allows: the
// current one scaled to fill the window but for a request and a half's
// worth, at most one more request in flight. It waits until the window has turned over one and a half times
// since the last change and the last pause — its length estimated as its
// use over the rate the sink spends execution time at — so that the report
// reflects the current pace. It returns 0 when there is nothing to go by.
func (g *governor) roomyPace(now time.Time, okTime bool, timeLeft float64, okBurst bool, burstLeft float64) float64 {
	if !okTime && !okBurst {
		if now.Sub(g.lastChange) > 30*time.Second && now.Sub(g.lastEpisode) > 30*time.Second {
			return g.pace + 1
		}
		return 0
	}
	factor := 1 + 1/g.pace
	if okTime {
		used := g.maxTime - timeLeft
		rate := g.spendRate(now)
		if rate <= 0 || used <= 0 {
			return 0
		}
		// The window's use over the spending rate is its length, or less
		// while a pause's hole is in it: keep the longest estimate.
		g.window = max(g.window, time.Duration(used/rate*float64(time.Second)))
		settle := g.window * 3 / 2
		if now.Sub(g.lastChange) < settle || now.Sub(g.lastEpisode) < settle {
			return 0
		}
		factor = math.Min(factor, g.fill()*g.maxTime/used)
	}
	if okBurst {
		if used := g.maxBurst - burstLeft; used > 0 {
			factor = math.Min(factor, 0.995*g.maxBurst/used)
		}
	}
	return g.pace * factor
}

// fill is the share of the execution-time budget the governor aims to keep
// in use: all but a request and a half's worth. The service's window moves
// by whole requests, whose durations vary, so aiming closer would be
// throttled whenever a few long ones end together.
func (g *governor) fill() float64 {
	if g.maxTime <= 0 {
		return 0.995
	}
	return math.Max(0.5, math.Min(0.995, 1-1.5*g.avg/g.maxTime))
}

// spendRate is the execution time the sink's requests spent per second,
// over the last 30 seconds: about the service's execution time.
func (g *governor) spendRate(now time.Time) float64 {
	cut := now.Add(-30 * time.Second)
	i := 0
	for i < len(g.done) && g.done[i].at.Before(cut) {
		i++
	}
	g.done = g.done[i:]
	from := cut
	if g.started.After(cut) {
		from = g.started
	}
	span := now.Sub(from).Seconds()
	if span <= 0 {
		return 0
	}
	var sum time.Duration
	for _, c := range g.done {
		sum += c.latency
	}
	return sum.Seconds() / span
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
// waits retryAfter, and the pace drops.
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
	newEpisode := !now.Before(g.pausedUntil)
	// A little jitter, so that requests do not all resume in the same
	// millisecond.
	until := now.Add(retryAfter + rand.N(retryAfter/10+time.Millisecond))
	if until.After(g.pausedUntil) {
		from := now
		if g.pausedUntil.After(now) {
			from = g.pausedUntil
		}
		g.stats.Paused += until.Sub(from)
		g.pausedUntil = until
	}
	switch {
	case code == codeConcurrencyLimit && inFlight-1 < g.ceiling:
		g.ceiling = max(1, inFlight-1)
		g.pace = math.Min(g.pace, float64(g.ceiling))
		g.lastChange = now
	case !newEpisode:
	case now.Sub(g.lastEpisode) < 5*time.Second+2*retryAfter:
		// Throttled again soon after resuming: the pace is plainly too high.
		g.pace = math.Max(1, g.pace*0.75)
		g.lastChange = now
	default:
		// A lone 429: the sink is at the edge of the budget. Step back to
		// where a request and a half's worth of budget is left.
		g.pace = math.Max(1, g.pace*math.Min(0.98, g.fill()))
		g.lastChange = now
	}
	if newEpisode && now.Sub(g.lastThrottleLog) > 10*time.Second {
		g.lastThrottleLog = now
		g.logger.Info("Dataverse is throttling; pausing", "retry_after", retryAfter, "code", code, "pace", math.Round(g.pace*100)/100)
	}
	g.lastEpisode = g.pausedUntil
	g.broadcast()
}

// snapshot returns the statistics so far.
func (g *governor) snapshot() Traffic {
	g.mu.Lock()
	defer g.mu.Unlock()
	s := g.stats
	s.Pace, s.Ceiling = g.pace, g.ceiling
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
