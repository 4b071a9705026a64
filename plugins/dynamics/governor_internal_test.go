package dynamics

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestGovernorKeepsAFractionalPace(t *testing.T) {
	g := newGovernor(4, 4, slog.New(slog.DiscardHandler))
	g.pace = 2 // two requests' worth of time per second, with four slots
	g.avg = 0.1
	var done atomic.Int64
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for g.acquire(ctx) == nil {
				time.Sleep(100 * time.Millisecond)
				g.succeeded(http.Header{}, 100*time.Millisecond)
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	// Four slots alone would do 80 requests of 100 ms in 2 s; a pace of 2
	// allows 40.
	if n := done.Load(); n < 32 || n > 48 {
		t.Errorf("%d requests in 2 s at a pace of 2 s/s of 100 ms requests, want about 40", n)
	}
}

func TestGovernorStepsBackAtTheEdgeAndCutsWhenThrottledAgain(t *testing.T) {
	g := newGovernor(8, 8, slog.New(slog.DiscardHandler))
	g.avg, g.maxTime = 1, 40
	for range 8 {
		if err := g.acquire(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	g.throttled(time.Millisecond, codeTimeLimit)
	if want := 8 * (1 - 1.5/40); g.pace < want-0.01 || g.pace > want+0.01 {
		t.Errorf("after a lone 429 the pace is %.2f, want %.2f", g.pace, want)
	}
	time.Sleep(10 * time.Millisecond)
	before := g.pace
	g.throttled(time.Millisecond, codeTimeLimit)
	if g.pace > before*0.76 {
		t.Errorf("throttled again soon after resuming, the pace went from %.2f to %.2f; want a quarter less", before, g.pace)
	}
	g.throttled(time.Second, codeConcurrencyLimit)
	if g.ceiling != 5 || g.pace > 5 {
		t.Errorf("after a concurrency 429 with 6 in flight: ceiling %d pace %.2f, want 5", g.ceiling, g.pace)
	}
	start := time.Now()
	for range 5 {
		g.refused()
	}
	if err := g.acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	if time.Since(start) < 900*time.Millisecond {
		t.Errorf("a request started %s after a 429 asking for 1s", time.Since(start))
	}
}

func TestBackoffGrowsExponentiallyWithJitter(t *testing.T) {
	for attempt, ceiling := range map[int]time.Duration{1: 500 * time.Millisecond, 2: time.Second, 3: 2 * time.Second,
		6: 16 * time.Second, 7: 30 * time.Second, 20: 30 * time.Second} {
		seen := map[time.Duration]bool{}
		for range 200 {
			d := backoff(attempt)
			if d < ceiling/2 || d > ceiling {
				t.Fatalf("attempt %d waited %s, want between %s and %s", attempt, d, ceiling/2, ceiling)
			}
			seen[d] = true
		}
		if len(seen) < 100 {
			t.Errorf("attempt %d: %d distinct waits in 200: no jitter to speak of", attempt, len(seen))
		}
	}
}
