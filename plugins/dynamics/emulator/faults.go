package emulator

import (
	"context"
	"fmt"
	"math/rand"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// FaultKind is what an injected fault does.
type FaultKind string

// Fault kinds.
const (
	// FaultThrottle answers 429 with Retry-After and the request-count error code, as service protection does.
	FaultThrottle FaultKind = "throttle"
	// FaultError answers an HTTP error status (500 and 503 by default have Dataverse-like bodies).
	FaultError FaultKind = "error"
	// FaultReset drops the connection without an answer (TCP reset).
	FaultReset FaultKind = "reset"
	// FaultSlow delays the response by Delay, then answers normally.
	FaultSlow FaultKind = "slow"
	// FaultRecord fails every write of a record whose Column equals Value (like a plug-in rejecting it).
	FaultRecord FaultKind = "record"
)

// Fault is one fault injection rule. Request faults (all kinds but record) match on Method and Path and then
// fire by Every, by Rate, or always; After and Count bound when they may fire.
type Fault struct {
	Kind FaultKind
	// Status is the HTTP status of an error fault (default 500) or a record fault (default 400).
	Status int
	// Code and Message override the error body.
	Code    string
	Message string
	// RetryAfter is the Retry-After of a throttle fault (default 1 s).
	RetryAfter time.Duration
	// Delay is the delay of a slow fault (default 2 s).
	Delay time.Duration
	// Rate is the probability (0..1) that a matching request fails.
	Rate float64
	// Every fails every Nth matching request.
	Every int
	// After lets the first N matching requests through.
	After int
	// Count stops the fault after it fired N times.
	Count int
	// Method and Path restrict which requests match (Path: a substring of the resource path, e.g. "contacts",
	// "$batch" or "UpsertMultiple").
	Method string
	Path   string
	// AfterProcessing applies the fault after the request was processed and committed, so the write happened but
	// the client sees a failure (tests idempotent retries).
	AfterProcessing bool
	// Table, Column and Value select the records a record fault fails.
	Table  string
	Column string
	Value  string
}

const (
	phaseBefore = false
	phaseAfter  = true
)

type faultState struct {
	Fault
	matched int
	fired   int
}

type faultInjector struct {
	mu    sync.Mutex
	rules []*faultState
	rng   *rand.Rand
}

func newFaultInjector(rules []Fault, seed int64) *faultInjector {
	if seed == 0 {
		seed = 1
	}
	fi := &faultInjector{rng: rand.New(rand.NewSource(seed))}
	fi.set(rules)
	return fi
}

func (fi *faultInjector) set(rules []Fault) {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	fi.rules = nil
	for _, f := range rules {
		fi.rules = append(fi.rules, &faultState{Fault: f})
	}
}

func (fi *faultInjector) list() []Fault {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	var out []Fault
	for _, r := range fi.rules {
		out = append(out, r.Fault)
	}
	return out
}

// fire decides whether a matching rule fires now (callers hold fi.mu).
func (fi *faultInjector) fire(r *faultState) bool {
	r.matched++
	if r.matched <= r.After || r.Count > 0 && r.fired >= r.Count {
		return false
	}
	switch {
	case r.Every > 0:
		if (r.matched-r.After)%r.Every != 0 {
			return false
		}
	case r.Rate > 0:
		if fi.rng.Float64() >= r.Rate {
			return false
		}
	}
	r.fired++
	return true
}

// pick returns the request fault that fires for this request, if any.
func (fi *faultInjector) pick(method, resource string, after bool) *Fault {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	for _, r := range fi.rules {
		if r.Kind == FaultRecord || r.AfterProcessing != after {
			continue
		}
		if r.Method != "" && !strings.EqualFold(r.Method, method) || r.Path != "" && !strings.Contains(resource, r.Path) {
			continue
		}
		if fi.fire(r) {
			f := r.Fault
			return &f
		}
	}
	return nil
}

// checkRecord fails a write when a record fault matches the record's values.
func (fi *faultInjector) checkRecord(t *Table, values map[string]any) *apiError {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	for _, r := range fi.rules {
		if r.Kind != FaultRecord || r.Table != "" && r.Table != t.LogicalName && r.Table != t.EntitySetName {
			continue
		}
		v, ok := values[r.Column]
		if !ok || !strings.EqualFold(normalizeKeyValue(v), strings.ToLower(r.Value)) {
			continue
		}
		if !fi.fire(r) {
			continue
		}
		status, code := r.Status, r.Code
		if status == 0 {
			status = http.StatusBadRequest
		}
		if code == "" {
			code = codePluginError
		}
		msg := r.Message
		if msg == "" {
			msg = fmt.Sprintf("The %s record with %s = '%s' was rejected (fault injected by the Dataverse emulator).", t.LogicalName, r.Column, r.Value)
		}
		return &apiError{Status: status, Code: code, Message: msg}
	}
	return nil
}

// applyFault carries out a request fault; it reports whether the response was written (or the connection dropped).
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, f *Fault, entry *LogEntry) bool {
	entry.Fault = string(f.Kind)
	switch f.Kind {
	case FaultSlow:
		d := f.Delay
		if d <= 0 {
			d = 2 * time.Second
		}
		sleepCtx(r.Context(), d)
		return false
	case FaultThrottle:
		retry := f.RetryAfter
		if retry <= 0 {
			retry = time.Second
		}
		l := s.throttle.current()
		msg := f.Message
		if msg == "" {
			msg = fmt.Sprintf("Number of requests exceeded the limit of %d over time window of %d seconds.", l.Requests, int(l.Window.Seconds()))
		}
		code := f.Code
		if code == "" {
			code = codeRequestLimit
		}
		s.writeResponse(w, errorResponse(throttledError(code, msg, retryAfterSeconds(retry))), nil)
		return true
	case FaultError:
		status := f.Status
		if status == 0 {
			status = http.StatusInternalServerError
		}
		code, msg := f.Code, f.Message
		if code == "" && status == http.StatusInternalServerError {
			code = codeUnexpected
		}
		if msg == "" {
			msg = fmt.Sprintf("%s (fault injected by the Dataverse emulator).", http.StatusText(status))
		}
		s.writeResponse(w, errorResponse(newAPIError(status, code, "%s", msg)), nil)
		return true
	case FaultReset:
		entry.Status = 0
		dropConnection(w)
		return true
	}
	return false
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// dropConnection closes the client's connection with a TCP reset and no response.
func dropConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	raw := conn
	if tc, ok := conn.(interface{ NetConn() net.Conn }); ok {
		raw = tc.NetConn()
	}
	if tcp, ok := raw.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	_ = conn.Close()
}
