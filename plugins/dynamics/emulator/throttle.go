package emulator

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// throttle enforces the service protection limits per application user over a sliding window: the number of
// requests, their combined execution time, and the number of requests in flight.
type throttle struct {
	mu     sync.Mutex
	limits Limits
	users  map[string]*userWindow
}

type execEntry struct {
	end time.Time
	d   time.Duration
}

type userWindow struct {
	starts     []time.Time
	execs      []execEntry
	execSum    time.Duration
	concurrent int
}

func newThrottle(l Limits) *throttle {
	return &throttle{limits: l.withDefaults(), users: map[string]*userWindow{}}
}

func (th *throttle) setLimits(l Limits) {
	th.mu.Lock()
	defer th.mu.Unlock()
	th.limits = l.withDefaults()
	th.users = map[string]*userWindow{}
}

func (th *throttle) reset() { th.setLimits(th.current()) }

func (th *throttle) current() Limits {
	th.mu.Lock()
	defer th.mu.Unlock()
	return th.limits
}

func (th *throttle) window(user string) *userWindow {
	w := th.users[user]
	if w == nil {
		w = &userWindow{}
		th.users[user] = w
	}
	return w
}

// prune drops what has left the window.
func (w *userWindow) prune(now time.Time, window time.Duration) {
	cut := now.Add(-window)
	i := 0
	for i < len(w.starts) && !w.starts[i].After(cut) {
		i++
	}
	if i > 0 {
		w.starts = append(w.starts[:0], w.starts[i:]...)
	}
	j := 0
	for j < len(w.execs) && !w.execs[j].end.After(cut) {
		w.execSum -= w.execs[j].d
		j++
	}
	if j > 0 {
		w.execs = append(w.execs[:0], w.execs[j:]...)
	}
}

func retryAfterSeconds(d time.Duration) int {
	s := int(math.Ceil(d.Seconds()))
	if s < 1 {
		s = 1
	}
	return s
}

func throttledError(code, msg string, retry int) *apiError {
	return &apiError{Status: http.StatusTooManyRequests, Code: code, Message: msg, retryAfter: retry}
}

// acquire admits a request or answers 429; release must be called with the request's execution time.
func (th *throttle) acquire(user string, now time.Time) (release func(time.Duration), err *apiError) {
	th.mu.Lock()
	defer th.mu.Unlock()
	l := th.limits
	if l.Disabled {
		return func(time.Duration) {}, nil
	}
	w := th.window(user)
	w.prune(now, l.Window)
	if w.concurrent >= l.Concurrent {
		return nil, throttledError(codeConcurrencyLimit, fmt.Sprintf("Number of concurrent requests exceeded the limit of %d.", l.Concurrent), 1)
	}
	if len(w.starts) >= l.Requests {
		wait := w.starts[0].Add(l.Window).Sub(now)
		return nil, throttledError(codeRequestLimit, fmt.Sprintf("Number of requests exceeded the limit of %d over time window of %d seconds.", l.Requests, int(l.Window.Seconds())), retryAfterSeconds(wait))
	}
	if w.execSum >= l.ExecutionTime {
		over := w.execSum - l.ExecutionTime
		var wait time.Duration
		var freed time.Duration
		for _, e := range w.execs {
			freed += e.d
			wait = e.end.Add(l.Window).Sub(now)
			if freed > over {
				break
			}
		}
		return nil, throttledError(codeExecutionTimeLimit, fmt.Sprintf("Combined execution time of incoming requests exceeded limit of %s  milliseconds over time window of %d seconds. Decrease number of concurrent requests or reduce the duration of requests and try again later.",
			groupThousands(strconv.FormatInt(l.ExecutionTime.Milliseconds(), 10)), int(l.Window.Seconds())), retryAfterSeconds(wait))
	}
	w.starts = append(w.starts, now)
	w.concurrent++
	var once sync.Once
	return func(d time.Duration) {
		once.Do(func() {
			th.mu.Lock()
			defer th.mu.Unlock()
			if th.users[user] != w {
				return // limits were reset while the request ran
			}
			w.concurrent--
			w.execs = append(w.execs, execEntry{end: time.Now(), d: d})
			w.execSum += d
		})
	}, nil
}

// headers are the x-ms-dop-hint and x-ms-ratelimit-* headers for a user's response.
func (th *throttle) headers(user string) map[string]string {
	th.mu.Lock()
	defer th.mu.Unlock()
	l := th.limits
	w := th.window(user)
	w.prune(time.Now(), l.Window)
	remaining := l.Requests - len(w.starts)
	if remaining < 0 {
		remaining = 0
	}
	timeLeft := l.ExecutionTime - w.execSum
	if timeLeft < 0 {
		timeLeft = 0
	}
	return map[string]string{
		"x-ms-dop-hint": strconv.Itoa(l.DOPHint),
		"x-ms-ratelimit-burst-remaining-xrm-requests": strconv.Itoa(remaining),
		"x-ms-ratelimit-time-remaining-xrm-requests":  strconv.FormatFloat(float64(timeLeft.Microseconds())/1000, 'f', 2, 64),
	}
}
